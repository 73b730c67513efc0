"""``chatbot fake-albert``: serve the fake Albert API so Guichet can be tried offline."""

from __future__ import annotations

import argparse


def register(sub, eval_sub) -> None:  # noqa: ANN001 (argparse's private subparser type)
    parser = sub.add_parser(
        "fake-albert",
        help="serve a fake Albert API (offline, answers from the sources it is sent)",
        description=(
            "An Albert-compatible API for trying Guichet without a model: it lists the "
            "default models, embeds text deterministically, reranks by shared words and "
            "answers with the first sentences of the sources in the prompt."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--api-key", default="test-key", help="the key clients must send")
    parser.add_argument(
        "--tokens-per-second", type=float, help="pace the streamed answers like a model"
    )
    parser.add_argument(
        "--first-token-ms",
        type=float,
        default=0.0,
        help="wait this long before the first token of every chat call, streamed or not "
        "(non-streamed calls also take their tokens' time at --tokens-per-second)",
    )
    parser.add_argument(
        "--answer-tokens", type=int, help="pad answers to about this many tokens, like a model"
    )
    parser.add_argument(
        "--forget-requests",
        action="store_true",
        help="keep no request log (long load runs: memory stays flat)",
    )
    parser.set_defaults(func=cmd_fake_albert)


def cmd_fake_albert(args: argparse.Namespace) -> int:
    from chatbot.fake_albert.server import FakeAlbert

    albert = FakeAlbert(api_key=args.api_key)
    albert.tokens_per_second = args.tokens_per_second
    albert.first_token = args.first_token_ms / 1000
    albert.answer_tokens = args.answer_tokens
    albert.keep_requests = not args.forget_requests
    url = f"http://{args.host}:{args.port}/v1"
    print(f"Fake Albert on {url} (Ctrl-C to stop). Point Guichet at it:")
    print(f"  GUICHET_BACKEND_URL={url}")
    print(f"  GUICHET_API_KEY={args.api_key}", flush=True)
    try:
        albert.serve(args.host, args.port)
    except OSError as exc:  # port taken, address not local ...
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        return 2
    return 0
