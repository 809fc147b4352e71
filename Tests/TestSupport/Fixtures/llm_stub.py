#!/usr/bin/env python3
"""A local stand-in for the four LLM provider APIs, following the shapes in docs/providers.md
(taken from ../shared/contracts/llm). Tests only: it binds 127.0.0.1 and prints its port.

The base URL picks a scenario: http://127.0.0.1:PORT/s/<scenario>/... where <scenario> is
  fixture     replay the vendor's recorded stream (Fixtures/*.sse, *.json) in small chunks
  agent       first answer: a write_file tool call; once a tool result is in the request: "Done."
  429once-X   the first request for X gets 429 with retry-after: 0, later ones behave like `agent`
  500once-X   the same with a 500
  cutonce-X   the first stream is cut in the middle of an event, later ones behave like `agent`
  cut         every stream is cut mid-event
  malformed   every stream carries invalid JSON
  400         every request gets 400 with the vendor's error body
  hang        never answers (for cancellation)
  hang2-X     the first request for X behaves like `agent`, later ones never answer
  json        JSON tool mode: answers with content holding {"name": …, "arguments": …} (no native tool call),
              and {"name": "finish", …} once a tool result is in the request
Every request is appended to the log file given as argv[1] as one JSON line {path, headers, body}.
"""
import json, os, sys, time, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

HERE = os.path.dirname(os.path.abspath(__file__))
LOG = open(sys.argv[1], "a") if len(sys.argv) > 1 else None
COUNTS = {}
LOCK = threading.Lock()

def provider_of(path):
    if path.startswith("/v1/messages"): return "anthropic"
    if path.startswith("/v1/chat/completions"): return "openai"
    if path.startswith("/v1beta/models/"): return "gemini"
    if path.startswith("/api/chat"): return "ollama"
    return None

def has_tool_result(provider, body):
    text = json.dumps(body)
    return {"anthropic": '"tool_result"', "openai": '"role": "tool"', "gemini": '"functionResponse"',
            "ollama": '"role": "tool"'}[provider] in text

def sse(events, named=False):
    out = b""
    for name, data in events:
        if named: out += b"event: " + name.encode() + b"\n"
        out += b"data: " + (data if isinstance(data, bytes) else json.dumps(data).encode()) + b"\n\n"
    return out

def answer(provider, call, stream):
    """`call` is (name, args) for a tool call, or None for the final answer."""
    if provider == "anthropic":
        if not stream:
            content = [{"type": "text", "text": "Done."}] if call is None else \
                [{"type": "text", "text": "Writing it."}, {"type": "tool_use", "id": "toolu_stub1", "name": call[0], "input": call[1]}]
            return "application/json", json.dumps({"id": "msg_stub", "type": "message", "role": "assistant", "model": "stub",
                "content": content, "stop_reason": "end_turn" if call is None else "tool_use", "stop_sequence": None,
                "usage": {"input_tokens": 50, "output_tokens": 10}}).encode()
        ev = [("message_start", {"type": "message_start", "message": {"id": "msg_stub", "type": "message", "role": "assistant",
               "content": [], "model": "stub", "stop_reason": None, "usage": {"input_tokens": 50, "output_tokens": 1}}}),
              ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
              ("ping", {"type": "ping"}),
              ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta",
                                       "text": "Done." if call is None else "Writing it."}}),
              ("content_block_stop", {"type": "content_block_stop", "index": 0})]
        if call:
            args = json.dumps(call[1])
            ev.append(("content_block_start", {"type": "content_block_start", "index": 1, "content_block":
                       {"type": "tool_use", "id": "toolu_stub1", "name": call[0], "input": {}}}))
            for i in range(0, len(args), 7):
                ev.append(("content_block_delta", {"type": "content_block_delta", "index": 1, "delta":
                           {"type": "input_json_delta", "partial_json": args[i:i + 7]}}))
            ev.append(("content_block_stop", {"type": "content_block_stop", "index": 1}))
        ev.append(("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use" if call else "end_turn"},
                                     "usage": {"output_tokens": 10}}))
        ev.append(("message_stop", {"type": "message_stop"}))
        return "text/event-stream", sse(ev, named=True)
    if provider == "openai":
        if not stream:
            msg = {"role": "assistant", "content": "Done." if call is None else None}
            if call: msg["tool_calls"] = [{"id": "call_stub1", "type": "function", "function": {"name": call[0], "arguments": json.dumps(call[1])}}]
            return "application/json", json.dumps({"id": "chatcmpl-stub", "object": "chat.completion", "model": "stub",
                "choices": [{"index": 0, "message": msg, "finish_reason": "tool_calls" if call else "stop"}],
                "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60}}).encode()
        base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "model": "stub"}
        ev = [("", dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]))]
        if call is None:
            ev.append(("", dict(base, choices=[{"index": 0, "delta": {"content": "Done."}, "finish_reason": None}])))
        else:
            args = json.dumps(call[1])
            ev.append(("", dict(base, choices=[{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_stub1", "type": "function",
                       "function": {"name": call[0], "arguments": ""}}]}, "finish_reason": None}])))
            for i in range(0, len(args), 5):
                ev.append(("", dict(base, choices=[{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": args[i:i + 5]}}]},
                           "finish_reason": None}])))
        ev.append(("", dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "tool_calls" if call else "stop"}])))
        ev.append(("", dict(base, choices=[], usage={"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60})))
        # A keep-alive comment, as OpenAI-compatible servers send between chunks.
        return "text/event-stream", sse(ev).replace(b"\n\ndata: ", b"\n\n: keep-alive\n\ndata: ", 1) + b"data: [DONE]\n\n"
    if provider == "gemini":
        part = {"text": "Done."} if call is None else {"functionCall": {"name": call[0], "args": call[1]}, "thoughtSignature": "c2lnbmF0dXJl"}
        usage = {"promptTokenCount": 50, "candidatesTokenCount": 10, "totalTokenCount": 60}
        if not stream:
            return "application/json", json.dumps({"candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP",
                                                                   "index": 0}], "usageMetadata": usage}).encode()
        ev = [("", {"candidates": [{"content": {"role": "model", "parts": [part]}, "index": 0}], "usageMetadata": usage}),
              ("", {"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP", "index": 0}],
                    "usageMetadata": usage})]
        return "text/event-stream", sse(ev).replace(b"\n", b"\r\n")
    if provider == "ollama":
        msg = {"role": "assistant", "content": "Done." if call is None else ""}
        if call: msg["tool_calls"] = [{"function": {"name": call[0], "arguments": call[1]}}]
        last = {"model": "stub", "created_at": "2026-01-01T00:00:00Z", "message": {"role": "assistant", "content": ""}, "done": True,
                "done_reason": "stop", "prompt_eval_count": 50, "eval_count": 10}
        if not stream:
            last["message"] = msg
            return "application/json", json.dumps(last).encode()
        first = {"model": "stub", "created_at": "2026-01-01T00:00:00Z", "message": msg, "done": False}
        return "application/x-ndjson", (json.dumps(first) + "\n" + json.dumps(last) + "\n").encode()

def fixture(provider, stream):
    name = {"anthropic": "anthropic-stream-tool_use.sse", "openai": "openai-stream-tool_calls.sse",
            "gemini": "gemini-stream-function_call.sse" if stream else "gemini-generateContent-function_call.json"}.get(provider)
    if name is None:
        return answer(provider, ("get_weather", {"location": "Paris"}), stream)
    data = open(os.path.join(HERE, name), "rb").read()
    if name.endswith(".sse") and not data.endswith(b"\n\n") and not data.endswith(b"\r\n\r\n"):
        data += b"\n\n"
    return ("application/json" if name.endswith(".json") else "text/event-stream"), data

ERRORS = {
    "anthropic": lambda t, m: {"type": "error", "error": {"type": t, "message": m}},
    "openai": lambda t, m: {"error": {"message": m, "type": t, "code": None}},
    "gemini": lambda t, m: {"error": {"code": 400, "message": m, "status": t.upper()}},
    "ollama": lambda t, m: {"error": m},
}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass

    def do_GET(self):
        self.send_response(200); self.send_header("content-type", "application/json"); self.send_header("content-length", "2")
        self.end_headers(); self.wfile.write(b"{}")

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        parts = self.path.split("/", 3)  # ['', 's', scenario, rest]
        scenario, rest = (parts[2], "/" + parts[3]) if len(parts) == 4 and parts[1] == "s" else ("agent", self.path)
        provider = provider_of(rest)
        try: body = json.loads(raw)
        except Exception: body = None
        if LOG:
            LOG.write(json.dumps({"scenario": scenario, "path": rest, "headers": dict(self.headers), "body": body}) + "\n"); LOG.flush()
        stream = (body or {}).get("stream", False) or "alt=sse" in rest
        with LOCK:
            COUNTS[scenario] = COUNTS.get(scenario, 0) + 1
            n = COUNTS[scenario]
        kind = scenario.split("-")[0]
        if kind == "hang" or (kind == "hang2" and n >= 2):
            time.sleep(60); return
        if kind == "400":
            return self.reply(400, "application/json", json.dumps(ERRORS[provider]("invalid_request_error", "model: stub-bad is not a model")).encode())
        if kind in ("429once", "500once") and n == 1:
            status = 429 if kind == "429once" else 500
            return self.reply(status, "application/json", json.dumps(ERRORS[provider]("rate_limit_error" if status == 429 else "api_error",
                              "slow down" if status == 429 else "internal")).encode(), extra={"retry-after": "0"})
        if kind == "fixture":
            ctype, data = fixture(provider, stream)
        elif kind == "json":
            done = "Result of write_file" in json.dumps(body)
            text = json.dumps({"name": "finish", "arguments": {"message": "Done."}} if done else
                              {"name": "write_file", "arguments": {"path": "hello.txt", "content": "hi from json mode\n"}})
            ctype, data = answer(provider, None, stream)
            data = data.replace(b'"Done."', json.dumps(text).encode())
        else:
            call = None if has_tool_result(provider, body) else ("write_file", {"path": "hello.txt", "content": "hi from %s\n" % provider})
            ctype, data = answer(provider, call, stream)
        if kind == "malformed" and stream:
            data = data.replace(b"data: {", b"data: {oops", 1).replace(b'{"model"', b'{oops"model"', 1)
        if kind == "cut" or (kind == "cutonce" and n == 1):
            return self.reply(200, ctype, data[: len(data) // 2], chunked=True)
        self.reply(200, ctype, data, chunked=stream)

    def reply(self, status, ctype, data, chunked=False, extra={}):
        self.send_response(status)
        self.send_header("content-type", ctype)
        for k, v in extra.items(): self.send_header(k, v)
        if not chunked:
            self.send_header("content-length", str(len(data))); self.end_headers(); self.wfile.write(data); return
        # Streams go out in small pieces with pauses, split anywhere, as real servers do.
        self.send_header("connection", "close"); self.end_headers()
        for i in range(0, len(data), 13):
            self.wfile.write(data[i:i + 13]); self.wfile.flush()
            if i % 260 == 0: time.sleep(0.001)
        self.close_connection = True

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
if len(sys.argv) > 2:  # the port also goes to a file, written whole by a rename
    with open(sys.argv[2] + ".tmp", "w") as f: f.write(str(server.server_address[1]))
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
