# layered's cfnresponse module: what CloudFormation adds beside inline Python
# code (Code.ZipFile) that has the exact line `import cfnresponse`, so that a
# custom resource's handler can answer CloudFormation. send() PUTs the
# response object to the request's ResponseURL (a presigned S3 URL on AWS)
# and, like the module it stands in for, reports a failure without raising.
# Written for layered, standard library only.
import json
import urllib.request

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def _body(event, context, status, data, physical_id, no_echo, reason):
    log_stream = getattr(context, "log_stream_name", "")
    return {
        "Status": status,
        "Reason": reason or "See the details in CloudWatch Log Stream: " + log_stream,
        "PhysicalResourceId": physical_id or log_stream,
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
        "NoEcho": no_echo,
        "Data": data,
    }


def send(event, context, responseStatus, responseData, physicalResourceId=None, noEcho=False, reason=None):
    body = json.dumps(_body(event, context, responseStatus, responseData, physicalResourceId, noEcho,
                            reason)).encode()
    print("Response body:")
    print(body.decode())
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(body))})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            print("Status code:", response.status)
    except Exception as e:  # the custom resource then times out, as on AWS
        print("send(..) failed executing http PUT(..):", e)
