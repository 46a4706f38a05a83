"""Credit requests: the public page, admin mail with signed links, decisions and the queue."""
