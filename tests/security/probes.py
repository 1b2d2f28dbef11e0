"""One cheap authenticated GET per service."""

PROBES = {"registry": "/api/v1/divisions", "intake": "/api/v1/tickets", "routing": "/api/v1/routing/rules",
          "escalation": "/api/v1/ladder", "analytics": "/api/v1/me"}
