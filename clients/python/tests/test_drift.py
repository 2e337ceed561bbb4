"""The kit and openapi.yaml cannot drift apart: every operation the kit calls
is in the served description with the same method and path, and every
control operation the description has is one the kit calls."""

from sca_sandbox import OPERATIONS


def test_the_kit_calls_exactly_the_control_operations_the_description_has(sca_sandbox):
    described = {}
    for path, item in sca_sandbox.openapi()["paths"].items():
        for method, op in item.items():
            if path.startswith("/__admin/") and "control" in op.get("tags", []):
                described[op["operationId"]] = (method.upper(), path)
    assert OPERATIONS == described
