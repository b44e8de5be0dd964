"""Drives Countersign's MCP server with the official Python MCP SDK (`mcp` 2.3.0).

    python mcp_client.py stdio COMMAND [ARG...]     # starts `countersign mcp` itself
    python mcp_client.py http URL API_KEY           # streamable HTTP at /mcp

Initializes, lists the tools, proposes a routine e-mail (expected: allow) and a discount
(expected: hold), then reads both decisions back. Prints one JSON object with what it saw
on stdout and exits 0; on any mismatch it prints the reason on stderr and exits 1. The
Rust test `mcp::*` in crates/server runs it.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

EXPECTED_TOOLS = {"propose_email", "propose_crm_update", "read_decision", "get_account_context", "triage"}
ROUTINE = "Hi Dana, thanks for the call today. I've attached the recap and the slides. Talk soon, Sam"
DISCOUNT = "Hi Dana, we can do 15% off if you sign by Friday. Best, Sam"


def fail(message: str) -> None:
    print(f"mcp_client: {message}", file=sys.stderr)
    sys.exit(1)


def structured(result) -> dict:
    """The tool result's JSON: structured content, else the first text block."""
    if result.structured_content is not None:
        return result.structured_content
    for block in result.content:
        text = getattr(block, "text", None)
        if text is not None:
            return json.loads(text)
    fail(f"tool result without JSON: {result!r}")
    return {}


async def exercise(session: ClientSession) -> dict:
    init = await session.initialize()
    tools = await session.list_tools()
    names = {t.name for t in tools.tools}
    if not EXPECTED_TOOLS <= names:
        fail(f"tools {sorted(names)} lack {sorted(EXPECTED_TOOLS - names)}")
    for t in tools.tools:
        if t.name.startswith("propose") and "hold" not in (init.instructions or "") + (t.description or ""):
            fail(f"{t.name}: neither the tool nor the server instructions explain `hold`")

    seen = {}
    for label, body, expected in (("allowed", ROUTINE, "allow"), ("held", DISCOUNT, "hold")):
        result = await session.call_tool(
            "propose_email",
            {"to": ["dana@acme.example"], "subject": "Following up", "body": body, "on_behalf_of": "sam.rep"},
        )
        if result.is_error:
            fail(f"propose_email ({label}) failed: {structured(result)}")
        proposal = structured(result)
        decision = proposal["decision"]["decision"]
        if decision != expected:
            fail(f"propose_email ({label}): expected {expected}, got {decision}: {proposal}")
        read = await session.call_tool("read_decision", {"action_id": proposal["action_id"]})
        if read.is_error:
            fail(f"read_decision ({label}) failed: {structured(read)}")
        view = structured(read)
        if view["decision"]["decision"] != expected or view["action_id"] != proposal["action_id"]:
            fail(f"read_decision ({label}) disagrees: {view}")
        seen[label] = {
            "action_id": proposal["action_id"],
            "decision": decision,
            "status": view["status"],
            "roles": view["decision"]["roles"],
            "next_step": proposal["next_step"],
        }
    # A CRM field named in another case is the same field: held as `stage` and `amount` are.
    result = await session.call_tool(
        "propose_crm_update",
        {"opportunity_id": "opp_mcp", "changes": {"Stage": "Closed Won", "AMOUNT": 1}, "on_behalf_of": "sam.rep"},
    )
    if result.is_error:
        fail(f"propose_crm_update failed: {structured(result)}")
    update = structured(result)
    if update["decision"]["decision"] != "hold":
        fail(f"propose_crm_update with `Stage` and `AMOUNT`: expected hold, got {update}")
    seen["crm_field_case"] = {"decision": "hold", "roles": update["decision"]["roles"]}
    # The pipeline: a list (empty here: nothing was imported), never an error.
    result = await session.call_tool("triage", {"limit": 5})
    if result.is_error:
        fail(f"triage failed: {structured(result)}")
    ranked = structured(result)
    if not isinstance(ranked.get("opportunities"), list):
        fail(f"triage: expected {{'opportunities': [...]}}, got {ranked}")
    seen["triage"] = {"opportunities": len(ranked["opportunities"]), "open": ranked.get("open")}
    return {
        "protocol_version": init.protocol_version,
        "server": init.server_info.name,
        "tools": sorted(names),
        "proposals": seen,
    }


async def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "stdio":
        # The SDK starts servers with a minimal environment: pass Countersign's settings
        # (the tool key, the database URL) through, never the whole environment.
        env = {k: v for k, v in os.environ.items() if k.startswith("COUNTERSIGN_")}
        params = StdioServerParameters(command=sys.argv[2], args=sys.argv[3:], env=env)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                out = await exercise(session)
    elif len(sys.argv) == 4 and sys.argv[1] == "http":
        url, key = sys.argv[2], sys.argv[3]
        client = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
        async with client:
            async with streamable_http_client(url, http_client=client, terminate_on_close=False) as streams:
                read, write = streams[0], streams[1]
                async with ClientSession(read, write) as session:
                    out = await exercise(session)
    else:
        fail("usage: mcp_client.py stdio COMMAND [ARG...] | http URL API_KEY")
        return
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
