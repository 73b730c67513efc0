"""Two instances behind Debian's nginx (deploy/nginx/guichet.conf) on shared engines: one
PostgreSQL database, one Chroma server (``chroma run``, started here) and one Redis (its own
``redis-server``, started here, so stopping it touches nobody else's).

What an administration running Guichet on several machines relies on: a conversation started
on one instance continues on the other; a fiche edited once is served by both; the Chroma
server or Redis going away ends turns with a named status (never a crash), ``/ready`` says
why, and everything works again when they are back.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from chatbot.bench.cluster import CHROMA, REDIS, Service, wait_until
from chatbot.fake_albert import FakeAlbert
from chatbot.web.auth import UserRecord, UsersFile, hash_password, write_users_file
from tests.chat_client import Chat
from tests.conftest import ROOT, AppServer, free_port
from tests.nginx import Nginx, nginx_binary

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(2400)]

AGENT, PASSWORD = "agent.reseau", "mot-de-passe-de-test-7"
AGENT_QUESTION = "Comment ouvrir un ticket dans l'outil Sillage ?"
AGENT_WORD = "Sillage"
CITIZEN_QUESTION = "Comment refaire ma carte d'identité ?"
CRASH_WORDS = ("erreur inattendue",)
NEW_WORD = "zorglubion"  # in no fiche until the test writes it


class Instance(AppServer):
    """``chatbot serve`` whose public address is the load balancer's."""

    public_url = ""

    def extra_env(self) -> dict[str, str]:
        return {"GUICHET_PUBLIC_URL": self.public_url, "GUICHET_ALLOWED_ORIGINS": self.public_url}


def new_database() -> tuple[Any, str, str]:
    import psycopg

    for user in ("postgres", "root"):
        try:
            admin = psycopg.connect(
                host="127.0.0.1", port=5432, user=user, dbname="test", autocommit=True,
                connect_timeout=2,
            )  # fmt: skip
            break
        except Exception:
            continue
    else:
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432 as postgres/root (db test)")
    name = f"guichet_scale_{uuid.uuid4().hex[:12]}"  # a fresh database for this run
    admin.execute(f'CREATE DATABASE "{name}"')
    return admin, name, f"postgresql://{user}@127.0.0.1:5432/{name}"


API_LIMIT = 6  # API requests per key per minute, counted in the shared Redis


@pytest.fixture(scope="module")
def cluster(albert: FakeAlbert, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    if not nginx_binary():
        pytest.skip("Debian's nginx is not installed (scripts/test.sh installs it)")
    if not CHROMA.exists():
        pytest.skip("the chroma command (chromadb package) is missing")
    if REDIS is None:
        pytest.skip("redis-server is not installed")
    admin, db_name, db_url = new_database()
    tmp = tmp_path_factory.mktemp("cluster")
    knowledge = tmp / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    users = tmp / "users.json"
    write_users_file(
        users,
        UsersFile(
            users=[
                UserRecord(
                    username=AGENT,
                    password_hash=hash_password(PASSWORD),
                    role="agent",
                    display_name="Agent réseau",
                )
            ]
        ),
    )
    chroma_port, redis_port, lb_port = free_port(), free_port(), free_port()
    chroma = Service(
        [str(CHROMA), "run", "--path", str(tmp / "chroma"), "--port", str(chroma_port)],
        chroma_port,
        tmp / "chroma.log",
    )
    redis = Service(
        [REDIS, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        redis_port,
        tmp / "redis.log",
    )  # fmt: skip
    chroma.start()
    redis.start()
    instances: list[Instance] = []
    nginx = None
    try:
        Instance.public_url = f"http://127.0.0.1:{lb_port}"
        for name in ("a", "b"):
            folder = tmp / name
            folder.mkdir()
            instances.append(
                Instance(
                    {
                        "GUICHET_BACKEND_URL": albert.url,
                        "GUICHET_API_KEY": albert.api_key,
                        "GUICHET_DATA_DIR": str(folder / "data"),
                        "GUICHET_KNOWLEDGE_DIR": str(knowledge),
                        "GUICHET_USERS_FILE": str(users),
                        "GUICHET_POSTGRES_URL": db_url,
                        "GUICHET_CHROMA_URL": f"http://127.0.0.1:{chroma_port}",
                        "GUICHET_RATE_LIMIT_STORAGE": f"redis://127.0.0.1:{redis_port}",
                        "GUICHET_READY_TIMEOUT": "2",
                        "GUICHET_API_RATE_PER_KEY": f"{API_LIMIT}/minute",
                        # The same on every instance: a session opened on one is valid on all.
                        "CHAINLIT_AUTH_SECRET": "secret-partage-" + "y" * 40,
                    },
                    folder,
                )
            )
        for instance in instances:
            instance.wait_ready(deadline_s=1200)  # slow when the machine is shared
            # HTTP answers before the services are built: wait until they are.
            wait_until(lambda i=instance: ready(i)[0] == 200, "instances ready", 1200, 1)
        nginx = Nginx(tmp, [f"127.0.0.1:{i.port}" for i in instances], port=lb_port)
        yield {
            "nginx": nginx,
            "instances": instances,
            "chroma": chroma,
            "redis": redis,
            "knowledge": knowledge,
            "db_url": db_url,
        }
    finally:
        if nginx is not None:
            nginx.stop()
        for instance in instances:
            instance.stop()
        chroma.stop()
        redis.stop()
        admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.close()


# ------------------------------------------------------------------------------ helpers


def sticky_cookies(cluster: dict) -> dict[int, str]:
    """A load-balancing cookie for each instance (by port), as nginx hands them out."""
    nginx: Nginx = cluster["nginx"]
    found: dict[int, str] = {}
    for _ in range(64):
        response = httpx.get(nginx.url + "/health", timeout=10)
        assert response.status_code == 200
        cookie = response.cookies["guichet_lb"]
        port = nginx.last_upstream_port()
        # The same cookie keeps reaching the same instance.
        for _ in range(3):
            httpx.get(nginx.url + "/health", cookies={"guichet_lb": cookie}, timeout=10)
            assert nginx.last_upstream_port() == port, "nginx did not keep the browser sticky"
        found.setdefault(port, f"guichet_lb={cookie}")
        if len(found) == 2:
            return found
    raise AssertionError(f"nginx sent every browser to one instance: {found}")


async def agent_cookie(url: str, sticky: str) -> str:
    """Log in through nginx, on the instance ``sticky`` leads to; the cookies of the browser."""
    async with httpx.AsyncClient(base_url=url, timeout=60, headers={"Cookie": sticky}) as client:
        response = await client.post("/login", data={"username": AGENT, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return sticky + "; " + "; ".join(f"{k}={v}" for k, v in response.cookies.items())


async def citizen_cookie(url: str, sticky: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=60, headers={"Cookie": sticky}) as client:
        response = await client.post("/auth/header")
        assert response.status_code == 200, response.text
        return sticky + "; " + "; ".join(f"{k}={v}" for k, v in response.cookies.items())


def ready(instance: AppServer) -> tuple[int, dict]:
    response = httpx.get(instance.url + "/ready", timeout=15)
    return response.status_code, response.json()["checks"]


def chunks_served(instance: AppServer) -> float:
    text = httpx.get(instance.url + "/metrics", timeout=10).text
    match = re.search(r"^guichet_knowledge_chunks (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


async def open_chat(
    url: str, cookie: str, *, thread_id: str | None = None, profile: str | None = None
) -> Chat:
    return await Chat.open(url, cookie=cookie, thread_id=thread_id, profile=profile)


@pytest.fixture
async def chats() -> AsyncIterator[list[Chat]]:
    opened: list[Chat] = []
    yield opened
    for chat in opened:
        if chat.sio.connected:
            await chat.close()


# ------------------------------------------------------------------------------ the tests


async def test_a_conversation_continues_through_the_other_instance(cluster, double, chats) -> None:
    nginx: Nginx = cluster["nginx"]
    first_port, second_port = (i.port for i in cluster["instances"])
    sticky = sticky_cookies(cluster)
    cookie = await agent_cookie(nginx.url, sticky[first_port])
    mark = nginx.mark()
    agent = await open_chat(nginx.url, cookie, profile="helpdesk")
    chats.append(agent)
    answer = await agent.ask(AGENT_QUESTION)
    assert answer["metadata"]["status"].startswith("answered"), answer
    await asyncio.sleep(2)  # Chainlit writes the thread in the background
    await agent.close()
    assert nginx.socket_ports(mark) == {first_port}

    # The browser now reaches the other instance (its own one was stopped, or rebalanced):
    # the same login and thread, through the same nginx.
    double.reset()
    moved = cookie.replace(sticky[first_port], sticky[second_port])
    resumed = await open_chat(nginx.url, moved, profile="helpdesk", thread_id=agent.thread_id)
    chats.append(resumed)
    mark = nginx.mark()
    follow_up = await resumed.ask("Et pour le relancer ?")
    assert follow_up["metadata"]["status"].startswith("answered"), follow_up
    await resumed.close()
    assert nginx.socket_ports(mark) == {second_port}
    # The follow-up reached the model with the first question: the memory came from PostgreSQL.
    assert AGENT_WORD in " ".join(double.sent_texts())


async def test_a_fiche_edited_once_is_served_by_both(cluster, chats) -> None:
    nginx: Nginx = cluster["nginx"]
    instances: list[AppServer] = cluster["instances"]
    before = [chunks_served(i) for i in instances]
    assert all(before), before  # both serve the knowledge base already
    fiche = cluster["knowledge"] / "public" / "aah.md"
    fiche.write_text(
        fiche.read_text(encoding="utf-8") + f"\n## Le formulaire {NEW_WORD}\n"
        f"Le formulaire {NEW_WORD} se remplit en ligne sur le site de la MDPH, en dix minutes, "
        f"avec le numéro de dossier : le formulaire {NEW_WORD} remplace l'ancien dossier papier.\n",
        encoding="utf-8",
    )
    # One instance syncs the edit into the Chroma server; the other reloads it.
    for instance, count in zip(instances, before, strict=True):
        await asyncio.to_thread(
            wait_until, lambda i=instance, c=count: chunks_served(i) > c, "the edit", 180
        )
    sticky = sticky_cookies(cluster)
    for instance in instances:
        cookie = await citizen_cookie(nginx.url, sticky[instance.port])
        mark = nginx.mark()
        chat = await open_chat(nginx.url, cookie)
        chats.append(chat)
        answer = await chat.ask(f"Comment remplir le formulaire {NEW_WORD} ?")
        await chat.close()
        assert nginx.socket_ports(mark) == {instance.port}
        assert answer["metadata"]["status"].startswith("answered"), (instance.port, answer)
        assert NEW_WORD in answer["output"].lower(), (instance.port, answer["output"])


def keys_command(cluster: dict, *args: str) -> str:
    """``chatbot keys ...`` as an operator runs it, on the database the instances share."""
    env = {**os.environ, "GUICHET_POSTGRES_URL": cluster["db_url"], "GUICHET_LOG_FORMAT": "json"}
    env["GUICHET_DATA_DIR"] = str(cluster["instances"][0].data_dir)
    return subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "keys", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout.strip()  # fmt: skip


def test_api_keys_and_their_rate_limit_are_shared_by_both_instances(cluster) -> None:
    a, b = cluster["instances"]

    def models(instance: AppServer, key: str) -> int:
        headers = {"Authorization": f"Bearer {key}"}
        return httpx.get(instance.url + "/v1/models", headers=headers, timeout=60).status_code

    # A key revoked once is refused by both instances, at once.
    revoked = keys_command(cluster, "add", "a-revoquer", "--role", "citizen")
    assert models(a, revoked) == 200 and models(b, revoked) == 200
    key_id = revoked.split("_")[1]
    keys_command(cluster, "revoke", key_id)
    assert models(a, revoked) == 401 and models(b, revoked) == 401
    # The per-key limit counts the requests made to either instance.
    limited = keys_command(cluster, "add", "limitee", "--role", "citizen")
    codes = [models(instance, limited) for instance in (a, b) * (API_LIMIT // 2)]
    assert codes == [200] * API_LIMIT, codes
    assert models(a, limited) == 429 and models(b, limited) == 429


async def test_chroma_stopped_ends_turns_with_a_named_status_and_ready_says_why(
    cluster, chats
) -> None:
    nginx: Nginx = cluster["nginx"]
    instances: list[AppServer] = cluster["instances"]
    chroma = cluster["chroma"]
    sticky = sticky_cookies(cluster)
    cookie = await citizen_cookie(nginx.url, sticky[instances[0].port])
    chroma.stop()
    try:
        for instance in instances:
            code, checks = ready(instance)
            assert code == 503
            assert checks["chroma"]["ok"] is False and checks["chroma"]["detail"]
            assert checks["database"]["ok"] and checks["knowledge"]["ok"]
            assert httpx.get(instance.url + "/health", timeout=5).status_code == 200
        chat = await open_chat(nginx.url, cookie)
        chats.append(chat)
        answer = await chat.ask(CITIZEN_QUESTION)
        assert answer["metadata"]["status"] == "backend_error", answer
        assert not any(word in answer["output"] for word in CRASH_WORDS)
    finally:
        chroma.start()
    for instance in instances:
        await asyncio.to_thread(
            wait_until, lambda i=instance: ready(i)[0] == 200, "ready again", 60
        )
    answer = await chat.ask(CITIZEN_QUESTION)
    assert answer["metadata"]["status"].startswith("answered"), answer


async def test_redis_stopped_crashes_nothing(cluster, chats) -> None:
    nginx: Nginx = cluster["nginx"]
    instances: list[AppServer] = cluster["instances"]
    redis = cluster["redis"]
    sticky = sticky_cookies(cluster)
    cookie = await citizen_cookie(nginx.url, sticky[instances[1].port])
    redis.stop()
    try:
        for instance in instances:
            code, checks = ready(instance)
            assert code == 503
            assert checks["redis"]["ok"] is False and checks["redis"]["detail"]
        chat = await open_chat(nginx.url, cookie)
        chats.append(chat)
        answer = await chat.ask(CITIZEN_QUESTION)
        assert answer["metadata"]["status"].startswith("answered"), answer
        assert httpx.get(nginx.url + "/health", timeout=5).status_code == 200
    finally:
        redis.start()
    for instance in instances:
        await asyncio.to_thread(
            wait_until, lambda i=instance: ready(i)[0] == 200, "ready again", 60
        )


@pytest.mark.xfail(
    reason="the login limiter (chatbot.web.shield) counts in Redis with no local fallback; "
    "h-api's chatbot/api/limits.py brings the fallback",
    strict=False,
)
async def test_logins_go_on_while_redis_is_down(cluster) -> None:
    nginx: Nginx = cluster["nginx"]
    redis = cluster["redis"]
    redis.stop()
    try:
        async with httpx.AsyncClient(base_url=nginx.url, timeout=60) as client:
            response = await client.post("/login", data={"username": AGENT, "password": PASSWORD})
        assert response.status_code == 200, response.text
    finally:
        redis.start()
