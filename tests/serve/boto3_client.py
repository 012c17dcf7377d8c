"""boto3 (Debian's python3-boto3) against `layered serve`: run by
serve_clients_test.sh with SERVE_ENDPOINT, GREETING, CATALOG and EVENTS set.
`normal`: Invoke, ListFunctions, GetFunction and the exceptions for 404, 413
and 400; `throttled`: the 429 once CatalogFunction has a reserved
concurrency of 0."""
import base64
import json
import os
import sys

import boto3
from botocore.config import Config

failures = []


def check(what, condition, detail=""):
    print(("ok - " if condition else "not ok - ") + what + ("" if condition else f": {detail}"))
    if not condition:
        failures.append(what)


def expect_error(what, exception_class, call, **expected):
    try:
        call()
    except exception_class as error:
        check(what, True)
        for key, value in expected.items():
            got = error.response["Error"].get(key) if key in ("Code", "Message") else error.response.get(key)
            check(f"{what}: {key}", got == value, f"{got!r} != {value!r}")
        return error
    except Exception as error:  # noqa: BLE001: the wrong class is the failure we report
        check(what, False, f"raised {type(error).__name__}: {error}")
        return None
    check(what, False, "no exception")
    return None


lam = boto3.client(
    "lambda",
    endpoint_url=os.environ["SERVE_ENDPOINT"],
    region_name="us-east-1",
    config=Config(retries={"total_max_attempts": 1}),
)
greeting, catalog = os.environ["GREETING"], os.environ["CATALOG"]
arn_prefix = "arn:aws:lambda:us-east-1:123456789012:function:"

if sys.argv[1] == "normal":
    with open(os.path.join(os.environ["EVENTS"], "GreetingFunction.json"), "rb") as f:
        event = f.read()
    answer = lam.invoke(FunctionName=greeting, Payload=event, LogType="Tail")
    payload = json.loads(answer["Payload"].read())
    check("Invoke answers the function's payload", payload.get("greeting") == "Bonjour, Ada !", payload)
    check("Invoke: StatusCode 200", answer["StatusCode"] == 200, answer["StatusCode"])
    check("Invoke: ExecutedVersion", answer["ExecutedVersion"] == "$LATEST", answer.get("ExecutedVersion"))
    log = base64.b64decode(answer["LogResult"]).decode()
    check("Invoke: LogResult holds the REPORT line", "REPORT RequestId:" in log, log)

    bad = lam.invoke(FunctionName=catalog, Payload=b'{"maxPriceCents": "cheap"}')
    check("a function error: FunctionError Unhandled", bad.get("FunctionError") == "Unhandled", bad)
    check("a function error: its payload", json.loads(bad["Payload"].read())["errorType"] == "InvalidInput")

    event_answer = lam.invoke(FunctionName=catalog, InvocationType="Event", Payload=b"{}")
    check("Event: 202", event_answer["StatusCode"] == 202, event_answer["StatusCode"])

    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    check("ListFunctions lists both functions", greeting in names and catalog in names, names)
    paged = []
    for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 1}):
        paged += [f["FunctionName"] for f in page["Functions"]]
    check("ListFunctions pages with Marker/MaxItems", sorted(paged) == sorted(names), paged)
    got = lam.get_function(FunctionName=arn_prefix + greeting)
    check("GetFunction by ARN", got["Configuration"]["FunctionName"] == greeting, got["Configuration"])
    check("GetFunction: layers", len(got["Configuration"]["Layers"]) == 2, got["Configuration"].get("Layers"))

    layer_arn = got["Configuration"]["Layers"][0]["Arn"]
    listed = [l["LatestMatchingVersion"]["LayerVersionArn"] for l in lam.list_layers()["Layers"]]
    check("ListLayers lists the function's layer", layer_arn in listed, listed)
    by_arn = lam.get_layer_version_by_arn(Arn=layer_arn)
    check("GetLayerVersionByArn", by_arn["LayerVersionArn"] == layer_arn and by_arn["Content"]["CodeSha256"], by_arn)

    # The reads SDK code makes around a function (routes and shapes through botocore).
    tags = lam.list_tags(Resource=arn_prefix + greeting)["Tags"]
    check("ListTags: GetFunction's tags", tags == got.get("Tags"), (tags, got.get("Tags")))
    settings = lam.get_account_settings()
    check("GetAccountSettings: Lambda's default limit", settings["AccountLimit"]["ConcurrentExecutions"] == 1000,
          settings)
    check("GetAccountSettings: the deployed functions",
          settings["AccountUsage"]["FunctionCount"] == len(lam.list_functions()["Functions"]), settings)
    for what, call in [("GetPolicy", lambda: lam.get_policy(FunctionName=greeting)),
                       ("GetFunctionUrlConfig", lambda: lam.get_function_url_config(FunctionName=greeting))]:
        expect_error(f"{what}: none configured", lam.exceptions.ResourceNotFoundException, call,
                     Message="The resource you requested does not exist.")
    expect_error("GetFunctionEventInvokeConfig: none configured", lam.exceptions.ResourceNotFoundException,
                 lambda: lam.get_function_event_invoke_config(FunctionName=greeting))
    expect_error("GetProvisionedConcurrencyConfig: none configured",
                 lam.exceptions.ProvisionedConcurrencyConfigNotFoundException,
                 lambda: lam.get_provisioned_concurrency_config(FunctionName=greeting, Qualifier="$LATEST"))
    urls = lam.list_function_url_configs(FunctionName=greeting)["FunctionUrlConfigs"]
    check("ListFunctionUrlConfigs: none", urls == [], urls)

    expect_error("404: ResourceNotFoundException", lam.exceptions.ResourceNotFoundException,
                 lambda: lam.invoke(FunctionName="no-such-function"),
                 Code="ResourceNotFoundException", Message="Function not found: " + arn_prefix + "no-such-function")
    expect_error("404 on GetFunction", lam.exceptions.ResourceNotFoundException,
                 lambda: lam.get_function(FunctionName="no-such-function"))
    expect_error("404 for a version", lam.exceptions.ResourceNotFoundException,
                 lambda: lam.invoke(FunctionName=greeting, Qualifier="live"),
                 Message="Function not found: " + arn_prefix + greeting + ":live")
    expect_error("413: RequestTooLargeException", lam.exceptions.RequestTooLargeException,
                 lambda: lam.invoke(FunctionName=greeting, Payload=b'"' + b"x" * (7 << 20) + b'"'),
                 Code="RequestTooLargeException")
    expect_error("400: InvalidRequestContentException", lam.exceptions.InvalidRequestContentException,
                 lambda: lam.invoke(FunctionName=greeting, Payload=b"{not json"))
else:
    error = expect_error("429: TooManyRequestsException", lam.exceptions.TooManyRequestsException,
                         lambda: lam.invoke(FunctionName=catalog, Payload=b"{}"),
                         Code="TooManyRequestsException")
    if error is not None:
        check("429: Reason", error.response.get("Reason") == "ReservedFunctionConcurrentInvocationLimitExceeded",
              error.response)
        check("429: HTTP status", error.response["ResponseMetadata"]["HTTPStatusCode"] == 429)

sys.exit(1 if failures else 0)
