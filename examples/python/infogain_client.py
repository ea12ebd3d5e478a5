"""A client of `infogain serve` using only Python's standard library.

    from infogain_client import InfogainClient
    client = InfogainClient("http://127.0.0.1:8000", token=None)
    answer = client.score(rollouts)          # POST /v1/score: {"results": [...], "summary": {...}}
    answer = client.get_reward(query, prompts, labels)   # POST /get_reward (OpenRLHF's protocol)

`rollouts` follow the schema of `infogain score`'s rollouts.jsonl (README, "Rollouts"). The
server's URL and token may also come from INFOGAIN_URL and INFOGAIN_TOKEN.
"""
import json
import os
import time
import urllib.error
import urllib.request


class InfogainError(Exception):
    """An error answer: `status`, and the server's `code`, `message` (and `index`, `line` when given)."""

    def __init__(self, status, error):
        self.status = status
        self.code = error.get("code")
        self.index = error.get("index")
        self.line = error.get("line")
        super().__init__(f"{status} {self.code}: {error.get('message')}")


class InfogainClient:
    def __init__(self, url=None, token=None, timeout=600.0, retries=5):
        self.url = (url or os.environ.get("INFOGAIN_URL", "http://127.0.0.1:8000")).rstrip("/")
        self.token = token if token is not None else os.environ.get("INFOGAIN_TOKEN")
        self.timeout = timeout
        self.retries = retries

    def _post(self, path, body):
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(self.url + path, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as e:
                payload = e.read().decode("utf-8", "replace")
                # 503: the server is busy or draining; it says when to try again
                if e.code == 503 and attempt < self.retries:
                    time.sleep(float(e.headers.get("Retry-After", "1")))
                    continue
                try:
                    error = json.loads(payload)["error"]
                except (ValueError, KeyError, TypeError):
                    error = {"code": None, "message": payload}
                raise InfogainError(e.code, error) from None

    def score(self, rollouts, options=None):
        """Dense rewards of rollouts scored together (group advantages within their groups)."""
        body = {"rollouts": list(rollouts)}
        if options:
            body["options"] = options
        return self._post("/v1/score", body)

    def get_reward(self, query, prompts=None, labels=None):
        """OpenRLHF's remote reward protocol: one scalar per query (README, "Reward service")."""
        return self._post("/get_reward", {"query": list(query), "prompts": list(prompts or []), "labels": list(labels or [])})
