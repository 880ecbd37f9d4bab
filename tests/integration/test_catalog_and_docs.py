"""What the chat page reads besides the user's runs: the agents, the modelled AWS services, and
``/docs`` served with no request leaving the server (Swagger UI from the package, not a CDN)."""

from __future__ import annotations

import re

import httpx
import pytest

from test_framework.real_services_test_fixtures import RealServices

pytestmark = pytest.mark.integration


async def test_agents_lists_every_registered_agent_with_its_description(
    real_services_fixture: RealServices,
) -> None:
    async with httpx.AsyncClient(base_url=real_services_fixture.base_url) as http:
        response = await http.get("/api/agents")
    assert response.status_code == 200
    agents = {agent["name"]: agent["description"] for agent in response.json()["agents"]}
    assert {"cost_optimizer", "triage_agent"} <= agents.keys()
    assert "monthly_spend" in agents["cost_optimizer"]


async def test_cost_model_services_are_the_ones_with_levers_and_resolve_in_a_run(
    real_services_fixture: RealServices,
) -> None:
    async with httpx.AsyncClient(base_url=real_services_fixture.base_url) as http:
        response = await http.get("/api/cost-model/services")
    assert response.status_code == 200
    services = response.json()["services"]
    names = [service["name"] for service in services]
    assert {"Amazon EC2", "Amazon RDS", "Amazon S3"} <= set(names)
    assert len(names) == len(set(names))
    user = await real_services_fixture.create_user()
    async with real_services_fixture.websocket(user.token) as ws:
        await ws.request_agent(
            "cost_optimizer",
            "every modelled service",
            context={"monthly_spend": 10_000, "primary_services": names},
        )
        events = await ws.receive_run(timeout=30)
    result = events[-1]["data"]["result"]
    # Every name the page offers is one the model knows: none comes back unsupported.
    assert result["unsupported_services"] == []
    assert result["recommendations"]


async def test_docs_page_loads_swagger_ui_from_this_server_only(
    real_services_fixture: RealServices,
) -> None:
    async with httpx.AsyncClient(base_url=real_services_fixture.base_url) as http:
        page = await http.get("/docs")
        assert page.status_code == 200
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        urls += re.findall(r"""url:\s*['"]([^'"]+)['"]""", page.text)
        assert urls, page.text
        for url in urls:
            assert url.startswith("/"), f"/docs loads {url} from elsewhere"
            asset = await http.get(url)
            assert asset.status_code == 200, url
        assert "https://" not in page.text.replace("https://swagger.io", "")
        script = await http.get("/docs-assets/swagger-ui-bundle.js")
        assert "SwaggerUIBundle" in script.text
