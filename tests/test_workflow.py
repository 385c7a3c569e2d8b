"""The GitHub Actions workflow (.github/workflows/ci.yml, docs/deploy.md): what zizmor (make lint)
cannot see, checked here: jobs that need jobs that exist, expressions that are closed and name
only contexts GitHub has, actions pinned to a commit, and a deploy that runs only from main, after
the tests and the build, behind the production environment's approval, on an OIDC role."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
ZIZMOR = shutil.which("zizmor", path=str(ROOT / ".venv" / "bin")) or shutil.which("zizmor")
CONTEXTS = {"github", "env", "vars", "secrets", "needs", "matrix", "strategy", "steps", "job", "jobs", "runner", "inputs"}
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def load(text: str) -> dict:
    data = yaml.safe_load(text)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


WF = load(WORKFLOW.read_text())
JOBS = WF["jobs"]


def steps(job: str) -> list[dict]:
    return JOBS[job]["steps"]


def expression_errors(text: str) -> list[str]:
    """Unclosed ${{ }} and contexts GitHub does not have; `if:` values are expressions as they are."""
    errors = []
    if text.count("${{") != len(EXPRESSION.findall(text)):
        errors.append("an unclosed ${{")
    bodies = EXPRESSION.findall(text) + [v for v in _values(yaml.safe_load(text), "if") if "${{" not in v]
    for body in bodies:
        code = re.sub(r"'[^']*'", "''", body)
        if code.count("(") != code.count(")") or '"' in code or re.search(r"[^=!<>]=[^=]", code):
            errors.append(f"not an expression: {body.strip()}")
        for context in re.findall(r"(?<![\w.'])([a-z_]+)(?=\.)", code):
            if context not in CONTEXTS:
                errors.append(f"no context {context!r}: {body.strip()}")
    return errors


def _values(node, key: str):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, str):
                yield v
            yield from _values(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from _values(item, key)


def test_it_runs_on_pull_requests_and_on_pushes_to_main():
    assert "pull_request" in WF["on"] and WF["on"]["push"]["branches"] == ["main"]
    assert WF["permissions"] == {"contents": "read"}


def test_every_job_needs_only_jobs_that_exist_and_every_expression_is_sound():
    for name, job in JOBS.items():
        assert set(job.get("needs", [])) <= set(JOBS) - {name}, name
        assert job.get("runs-on") and job.get("steps"), name
    assert expression_errors(WORKFLOW.read_text()) == []


def test_every_action_is_pinned_to_a_commit_with_its_release_in_a_comment():
    text = WORKFLOW.read_text()
    uses = re.findall(r"uses: (\S+)(.*)", text)
    assert uses
    for ref, comment in uses:
        assert SHA_PIN.match(ref), f"{ref}: pin to a full commit SHA"
        assert re.match(r"\s+# v\d+(\.\d+)*$", comment), f"{ref}: say its release in a comment"


def test_the_tests_are_the_readmes_command_on_the_templates_python():
    runtime = re.search(r"Runtime: python(\S+)", (ROOT / "template.yaml").read_text())[1]
    assert WF["env"]["PYTHON_VERSION"] == runtime
    assert any(step.get("run") == ".ci/run" for step in steps("test"))
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")


def test_the_build_builds_with_the_layer_stamp_and_lints_for_the_deploy_region():
    runs = [step.get("run", "") for step in steps("build")]
    assert "make build" in runs  # sam build + the engine layer's hash (SnapStart versions)
    assert any(r.startswith(".venv/bin/sam validate --lint --region") for r in runs)
    assert WF["env"]["AWS_REGION"] in (ROOT / "samconfig.toml").read_text()


def test_the_deploy_runs_from_main_after_tests_and_build_behind_an_approval_on_an_oidc_role():
    deploy = JOBS["deploy"]
    assert set(deploy["needs"]) == {"test", "build"}
    assert deploy["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert deploy["environment"] == "production"
    assert deploy["permissions"] == {"id-token": "write", "contents": "read"}
    (credentials,) = [s for s in steps("deploy") if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(credentials["with"]), "OIDC: no stored keys"
    assert "secrets." not in WORKFLOW.read_text()
    deploys = [s["run"] for s in steps("deploy") if "sam deploy" in s.get("run", "")]
    assert deploys == [".venv/bin/sam deploy --no-confirm-changeset --no-fail-on-empty-changeset"]


def test_the_expression_check_finds_an_unclosed_one_and_an_unknown_context():
    assert expression_errors("role: ${{ vars.ROLE }") == ["an unclosed ${{"]
    assert any("no context 'secret'" in e for e in expression_errors("key: ${{ secret.KEY }}"))


@pytest.mark.skipif(ZIZMOR is None, reason="zizmor is a dev dependency: make install")
def test_zizmor_passes_the_workflow_and_fails_a_broken_one(tmp_path):
    def zizmor(text: str) -> subprocess.CompletedProcess:
        path = tmp_path / ".github" / "workflows" / "ci.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return subprocess.run([ZIZMOR, "--offline", "--strict-collection", str(path)], capture_output=True, text=True, timeout=60)

    text = WORKFLOW.read_text()
    assert zizmor(text).returncode == 0
    assert zizmor(text.replace("    steps:", "    stepz:", 1)).returncode != 0  # not a workflow
    tagged = re.sub(r"(actions/checkout)@[0-9a-f]{40}  # (v\d+)\S*", r"\1@\2", text)
    assert tagged != text and zizmor(tagged).returncode != 0  # an action pinned to a tag
