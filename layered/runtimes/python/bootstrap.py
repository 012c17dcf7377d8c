"""layered's runtime interface client for Python functions.

Started by the sandbox as `/var/lang/bin/python3.X -s /var/runtime/bootstrap.py`
(Lambda's /var/runtime/bootstrap does the same). It implements Lambda's
contract for Python handlers over the Runtime API (2018-06-01) with the
standard library alone; the wording of errors and logs is Lambda's
(docs/lambda-facts.md section 10).
"""

import decimal
import http.client
import importlib
import itertools
import json
import logging
import math
import operator
import os
import re
import site
import sys
import time
import traceback

API = "/2018-06-01/runtime"
VERSION = "%d.%d" % sys.version_info[:2]
TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
LAYER_ROOT = "/opt/python"
LAYER_SITE = "/opt/python/lib/python%s/site-packages" % VERSION
RUNTIME_SITE = "/var/lang/lib/python%s/site-packages" % VERSION
# Lambda's log writes an error's lines as one record: \r between lines and
# no-break spaces for the indentation.
LINE_BREAK = "\r"
INDENT = "\u00a0"
# What logging's records say on Lambda: level, UTC time, request id, message.
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
# awslambdaric's lambda_literals.py, word for word (the \r ends the line of a
# multi-line CloudWatch record).
UNHANDLED_EXCEPTION_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. "
    "The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. "
    "To determine if the runtime has been updated, check the runtime version in the INIT_START log entry. "
    "If this error correlates with a change in the runtime version, you may be able to mitigate this error "
    "by temporarily rolling back to the previous runtime version. "
    "For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)

# The invocation under way ("" during init), for the log records.
current_request_id = ""


class Fault(Exception):
    """An error of the runtime itself, reported with a Runtime.* type."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


def arrange_search_path():
    """sys.path as Lambda's /var/runtime/bootstrap.py arranges it, before its
    client loads the handler: the function first, then (unless the function
    sets PYTHONPATH) the layers' site-packages and /opt/python, and from
    python3.11 on the runtime's site-packages, all before /var/runtime (this
    script's directory) and the standard library. Each is also a site
    directory, so the .pth files in it take effect; site.addsitedir appends a
    directory it does not find on sys.path (a layer folder that does not
    exist), as on Lambda. Then PYTHONPATH, when the function left it unset, is
    /var/runtime, for the processes the function starts."""
    pythonpath_set = "PYTHONPATH" in os.environ
    if not pythonpath_set:
        if sys.version_info >= (3, 11):
            sys.path.insert(0, RUNTIME_SITE)
        sys.path.insert(0, LAYER_ROOT)
        sys.path.insert(0, LAYER_SITE)
    sys.path.insert(0, TASK_ROOT)
    site.addsitedir(TASK_ROOT)
    if not pythonpath_set:
        site.addsitedir(LAYER_SITE)
        site.addsitedir(LAYER_ROOT)
        os.environ["PYTHONPATH"] = os.environ.get("LAMBDA_RUNTIME_DIR", "/var/runtime")


class RuntimeClient:
    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.connection = http.client.HTTPConnection(host, int(port))

    def request(self, method, path, body=None, headers=None):
        for attempt in (1, 2):
            try:
                self.connection.request(method, API + path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response, response.read()
            except (http.client.HTTPException, ConnectionError):
                # A keep-alive connection the server closed: reconnect once.
                self.connection.close()
                if attempt == 2:
                    raise

    def next(self):
        response, body = self.request("GET", "/invocation/next")
        if response.status != 200:
            raise Fault("Runtime.LambdaRuntimeClientError", "next invocation: HTTP %d" % response.status)
        return response, body

    def post(self, path, payload, content_type="application/json", error_type=None):
        headers = {"Content-Type": content_type}
        if error_type:
            headers["Lambda-Runtime-Function-Error-Type"] = error_type
        self.request("POST", path, body=payload, headers=headers)

    def respond(self, request_id, payload, content_type):
        self.post("/invocation/%s/response" % request_id, payload, content_type)

    def fail(self, request_id, error):
        self.post("/invocation/%s/error" % request_id, to_json(error).encode(), error_type=error["errorType"])

    def fail_init(self, error):
        self.post("/init/error", to_json(error).encode(), error_type=error["errorType"])


def to_json(value):
    """JSON as Lambda's client writes it with simplejson: a Decimal keeps its
    exact digits, a namedtuple (anything with _asdict()) is an object, bytes
    inside a value are UTF-8 text. python3.12+ keep non-ASCII characters as
    they are; older runtimes escape them."""
    decimals = []
    nonce = os.urandom(8).hex()

    def default(o):
        if isinstance(o, decimal.Decimal):
            if o.is_nan():
                return math.nan
            decimals.append(str(o))
            return "\0%s:%d\0" % (nonce, len(decimals) - 1)
        if isinstance(o, bytes):
            return o.decode("utf-8")
        as_dict = getattr(o, "_asdict", None)
        if callable(as_dict):
            return as_dict()
        raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)

    if _holds_records(value):
        value = _records_as_dicts(value, set())
    text = json.dumps(value, default=default, ensure_ascii=sys.version_info < (3, 12))
    if not decimals:
        return text
    # Each Decimal went through json as a string only it can spell (NULs
    # around a random tag); its quoted form becomes the Decimal's digits.
    pattern = re.compile(r'"\\u0000%s:(\d+)\\u0000"' % nonce)
    return pattern.sub(lambda m: decimals[int(m.group(1))], text)


LEAF_TYPES = frozenset((str, int, float, bool, type(None)))
CONTAINERS = (dict, list, tuple)


def is_record(o):
    return isinstance(o, tuple) and callable(getattr(o, "_asdict", None))


def _holds_records(value):
    """Whether value may hold a namedtuple, which json would write as an
    array. It looks one level of containers at a time, with the per-value
    work done in C (map, chain, compress), so that checking a large result
    costs about what encoding it does. A container met twice (shared or a
    cycle) answers yes: _records_as_dicts then walks it with care."""
    level, seen = [value], set()
    while level:
        types = set(map(type, level))
        if any(issubclass(t, tuple) and callable(getattr(t, "_asdict", None)) for t in types):
            return True
        others = {t for t in types if not issubclass(t, CONTAINERS)}
        if others:  # Decimals, bytes, objects: json's default() takes them
            level = [o for o in level if type(o) not in others]
        ids = set(map(id, level))
        if len(ids) < len(level) or not seen.isdisjoint(ids):
            return True
        seen |= ids
        if types <= {dict}:
            items = list(itertools.chain.from_iterable(map(dict.values, level)))
        else:
            items = list(itertools.chain.from_iterable(o.values() if isinstance(o, dict) else o for o in level))
        level = list(itertools.compress(items, map(operator.not_, map(LEAF_TYPES.__contains__, map(type, items)))))
    return False


def _records_as_dicts(o, active):
    """o with every namedtuple replaced by its _asdict()."""
    if is_record(o):
        o = o._asdict()
    elif not isinstance(o, (list, tuple, dict)):
        return o
    if id(o) in active:
        raise ValueError("Circular reference detected")
    active.add(id(o))
    if isinstance(o, dict):
        plain = {k: _records_as_dicts(v, active) for k, v in o.items()}
    else:
        plain = [_records_as_dicts(v, active) for v in o]
    active.discard(id(o))
    return plain


def error_body(message, error_type, trace, request_id=""):
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": trace}


def user_frames(tb):
    """The traceback's frames from the first one outside this file."""
    frames = traceback.extract_tb(tb)
    for i, frame in enumerate(frames):
        if frame.filename != __file__:
            return frames[i:]
    return []


def exception_body(exc, request_id=""):
    return error_body(str(exc), type(exc).__name__, traceback.format_list(user_frames(exc.__traceback__)), request_id)


def log_error(error):
    # "[ERROR] Type: message", or "[ERROR] Type" when the message is empty.
    description = "[ERROR]"
    if error["errorType"]:
        description += " " + error["errorType"]
    if error["errorMessage"]:
        description += (":" if error["errorType"] else "") + " " + error["errorMessage"]
    lines = [description, "Traceback (most recent call last):"]
    for frame in error["stackTrace"]:
        for line in frame.splitlines():
            stripped = line.lstrip(" ")
            lines.append(INDENT * (len(line) - len(stripped)) + stripped)
    sys.stdout.write(LINE_BREAK.join(lines) + "\n")


def load_handler(handler):
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, e))
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault(
            "Runtime.BuiltInModuleConflict", "Cannot use built-in module %s as a handler module" % module_name
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, e), trace)
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))


class Fields:
    """A plain object from a dict, for context.identity / client_context."""

    def __init__(self, names, values):
        for name in names:
            setattr(self, name, (values or {}).get(name))

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, vars(self))


class CognitoIdentity(Fields):
    pass


class ClientContext(Fields):
    pass


class LambdaContext:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        # A string, as Lambda's own client reads it from the environment.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        cognito = parse_header(headers, "Lambda-Runtime-Cognito-Identity")
        self.identity = CognitoIdentity(["cognito_identity_id", "cognito_identity_pool_id"], {})
        if cognito is not None:
            self.identity.cognito_identity_id = cognito.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito.get("cognitoIdentityPoolId")
        client = parse_header(headers, "Lambda-Runtime-Client-Context")
        self.client_context = None
        if client is not None:
            self.client_context = ClientContext(["custom", "env", "client"], client)
            if self.client_context.client is not None:
                names = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]
                self.client_context.client = Fields(names, self.client_context.client)

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message):
        sys.stdout.write(str(message))


def parse_header(headers, name):
    text = headers.get(name)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        raise Fault("Runtime.LambdaContextUnmarshalError", "Unable to parse %s JSON: %s" % (name, e))


def handle(client, handler, response, body):
    global current_request_id
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    current_request_id = request_id or ""
    trace_id = response.getheader("Lambda-Runtime-Trace-Id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    try:
        context = LambdaContext(response.headers)
        try:
            event = json.loads(body)
        except ValueError as e:
            raise Fault("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)
        result = handler(event, context)
        if isinstance(result, bytes):
            client.respond(request_id, result, "application/unknown")
            return
        try:
            payload = to_json(result).encode()
        except (TypeError, ValueError) as e:
            raise Fault("Runtime.MarshalError", "Unable to marshal response: %s" % e)
    except Fault as e:
        error = error_body(e.message, e.error_type, e.trace, request_id)
    except Exception as e:  # noqa: BLE001 - any exception of the handler is the function's error
        error = exception_body(e, request_id)
    else:
        client.respond(request_id, payload, "application/json")
        return
    log_error(error)
    client.fail(request_id, error)


# The class names are Lambda's: libraries look for its handler on the root
# logger by name (datadog-lambda checks for "LambdaLoggerHandler").
class LambdaLoggerFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = current_request_id
        return True


class LambdaLoggerHandler(logging.Handler):
    """Writes each record, formatted, where print() writes."""

    def emit(self, record):
        sys.stdout.write(self.format(record))


def setup_logging():
    """Lambda's client puts this handler on the root logger (times in UTC),
    so the function's logging reaches the log once it sets a level, and
    AWS_LAMBDA_LOG_LEVEL (TRACE meaning DEBUG) sets the root's level."""
    logging.Formatter.converter = time.gmtime
    handler = LambdaLoggerHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
    handler.addFilter(LambdaLoggerFilter())
    root = logging.getLogger()
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    level = {None: "", "TRACE": "DEBUG"}.get(level, level).upper()
    if level in logging._nameToLevel:  # as Lambda's client checks it
        root.setLevel(level)
    root.addHandler(handler)


class Unbuffered:
    """What the function prints reaches the log at once, as on Lambda."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        n = self.stream.write(text)
        self.stream.flush()
        return n

    def writelines(self, lines):
        self.stream.writelines(lines)
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


def main():
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    setup_logging()
    arrange_search_path()
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Fault as e:
        error = error_body(e.message, e.error_type, e.trace)
    except Exception as e:  # noqa: BLE001 - module-level code of the function failed
        error = exception_body(e)
    else:
        error = None
    if error is not None:
        # Through the root logger, as Lambda's client logs it before an init
        # error (not before an invocation's error, since awslambdaric 3.1.1).
        logging.warning(UNHANDLED_EXCEPTION_WARNING)
        log_error(error)
        client.fail_init(error)
        sys.exit(1)
    while True:
        response, body = client.next()
        handle(client, handler, response, body)


if __name__ == "__main__":
    main()
