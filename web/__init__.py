"""What every page and endpoint shares, below the features: client IP, rate limits, admin list pieces,
spreadsheet cell escaping. It imports nothing of ours."""
