"""Code the example's Python functions share, published as the `pythonutils` layer.

Lambda extracts the layer into /opt, and /opt/python is on sys.path, so this
package is importable as `pythonutils` from every function that has the layer.
"""

from pythonutils.utildecorator import InternalError, InvalidInput, lambda_handler

__all__ = ["InternalError", "InvalidInput", "lambda_handler"]
