import time
from services.intake.app import create_app
from tests.builders import issue_key, ticket_body
from tests.harness import running_service, wait_for
from tests.intake.support import UNIT, publish_as, routed, settings
import pytest

@pytest.mark.parametrize("n", [1, 2])
async def test_dbg(database, common, n):
    target = database("intake")
    t = time.time()
    async with running_service(create_app, settings(common, target), target) as (app, client):
        print("started", time.time() - t, flush=True)
        key = await issue_key(app.state.db, scope="330903")
        headers = {"X-API-Key": key}
        ticket = (await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)).json()
        print("created", time.time() - t, flush=True)
        await publish_as(app, "routing", routed(ticket["id"]), key=ticket["id"])
        async def st():
            r = (await client.get(f"/api/v1/tickets/{ticket['id']}", headers=headers)).json()
            return r["state"] == "routed"
        await wait_for(st)
        print("routed", time.time() - t, flush=True)
        for action, body in [("sign", None), ("start", None), ("resolve", {"result": "ok"}), ("verify", {"passed": True}), ("close", None), ("evaluate", {"rating": "满意"})]:
            r = await client.post(f"/api/v1/tickets/{ticket['id']}/actions/{action}", json=body, headers=headers)
            print(action, r.status_code, time.time() - t, flush=True)
    print("stopped", time.time() - t, flush=True)
