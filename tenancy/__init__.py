"""Which LibreChat tenants a staff account may see; API keys carry their own list (api.models)."""
