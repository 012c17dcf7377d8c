"""The handler decorator (the seed's `utildecorator`), as the C++ functions have it.

Every invocation writes one JSON log line:

    {"level": "INFO"|"ERROR", "function": ..., "requestId": ..., "durationMs": ...,
     "outcome": "success"|"error", "errorType": ...}

and exceptions become function errors with a small, stable set of types.
Lambda's Python runtime reports a raised exception with its class name as
`errorType`, so the mapping is done by raising one of two classes:
InvalidInput for what the caller sent (also ValueError, TypeError and
KeyError raised by the handler), InternalError for anything else.
"""

import functools
import json
import sys
import time

__all__ = ["InternalError", "InvalidInput", "lambda_handler"]


class InvalidInput(Exception):
    """Raise from a handler when the event cannot be used; errorType "InvalidInput"."""


class InternalError(Exception):
    """What any other exception of a handler becomes; errorType "InternalError"."""


def _request_id(context):
    return getattr(context, "aws_request_id", None) or "-"


def _log(stream, record):
    stream.write(json.dumps(record, separators=(",", ":")) + "\n")
    stream.flush()


def lambda_handler(name, log=None):
    """Decorates `handler(event, context)`; `name` is the function's name in log lines.

    `log` is a text stream for the log lines (default: sys.stdout at call time,
    which is what Lambda sends to CloudWatch).
    """

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(event, context):
            started = time.perf_counter()
            record = {"level": "INFO", "function": name, "requestId": _request_id(context)}
            try:
                result = handler(event, context)
            except InvalidInput as error:
                failure, cause = error, None
            except (ValueError, TypeError, KeyError) as error:
                failure, cause = InvalidInput(_message(error)), error
            except Exception as error:  # every other failure is ours, not the caller's
                failure, cause = InternalError(_message(error)), error
            else:
                record.update(durationMs=_elapsed_ms(started), outcome="success")
                _log(log or sys.stdout, record)
                return result
            record.update(
                level="ERROR",
                durationMs=_elapsed_ms(started),
                outcome="error",
                errorType=type(failure).__name__,
            )
            _log(log or sys.stdout, record)
            raise failure from cause

        return wrapper

    return decorate


def _message(error):
    # KeyError's str() is the quoted key; say what it means instead.
    if isinstance(error, KeyError) and error.args:
        return "missing field %r" % (error.args[0],)
    return str(error) or type(error).__name__


def _elapsed_ms(started):
    return round((time.perf_counter() - started) * 1000.0, 3)
