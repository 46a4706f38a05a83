"""Helpers for tests and benchmarks: LibreChat usage documents at a given time, as LibreChat writes them."""

import os
from datetime import datetime

from bson import ObjectId

from librechat import documents
from librechat.mongo import librechat_db


def id_at(when: datetime) -> ObjectId:
    """A fresh ObjectId whose time is `when` (LibreChat's rows are ordered and dated by `_id`)."""
    return ObjectId(ObjectId.from_datetime(when).binary[:4] + os.urandom(8))


def spend(
    user_id: ObjectId,
    when: datetime,
    *,
    token_type: str = "prompt",
    tokens: int = 1000,
    rate: float = 2.5,
    model: str = "gpt-4o",
    conversation_id: str = "c1",
    **extra,
) -> dict:
    """Insert a spending row (`extra` adds fields such as `readTokens`); returns the document."""
    document = documents.spending_transaction(
        user_id,
        token_type=token_type,
        tokens=tokens,
        rate=rate,
        model=model,
        conversation_id=conversation_id,
        created_at=when,
        transaction_id=id_at(when),
    )
    document.update(extra)
    librechat_db().transactions.insert_one(document)
    return document


def grant(user_id: ObjectId, when: datetime, amount_credits: int) -> dict:
    document = documents.credits_transaction(user_id, amount_credits, created_at=when, transaction_id=id_at(when))
    librechat_db().transactions.insert_one(document)
    return document


def conversation(user_id: ObjectId, when: datetime, conversation_id: str, *, agent_id: str = "") -> dict:
    """Insert a conversation; with `agent_id` it is an agents-endpoint conversation."""
    document = {
        "_id": id_at(when),
        "conversationId": conversation_id,
        "user": str(user_id),
        "endpoint": "agents" if agent_id else "openAI",
        "createdAt": when,
    }
    if agent_id:
        document["agent_id"] = agent_id
    librechat_db().conversations.insert_one(document)
    return document


def agent(agent_id: str, name: str, model: str) -> None:
    librechat_db().agents.insert_one({"id": agent_id, "name": name, "provider": "openAI", "model": model})
