"""PythonCatalogFunction: answers catalog queries from a SQLite database that
SQLAlchemy builds at init (once per execution environment) from catalog.csv.

Event: {"category": "books", "maxPriceCents": 4000, "search": "c++",
        "inStock": true, "limit": 10}, every field optional.
Answer: {"count": N, "items": [{"id", "name", "category", "priceCents", "stock"}, ...]},
cheapest first; the C++ CatalogFunction gives the same answer for the same event.
"""

import csv
import pathlib

import sqlalchemy as sa
from sqlalchemy import orm

from pythonutils import InvalidInput, lambda_handler

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
FIELDS = ("category", "search", "maxPriceCents", "inStock", "limit")
EXAMPLE = '{"category": "books", "maxPriceCents": 4000}'
HEADER = ["id", "name", "category", "price_cents", "stock"]
DATA = pathlib.Path(__file__).with_name("catalog.csv")

Base = orm.declarative_base()


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (sa.Index("items_by_category", "category", "price_cents"),)

    id = sa.Column(sa.String, primary_key=True)
    name = sa.Column(sa.String, nullable=False)
    category = sa.Column(sa.String, nullable=False)
    price_cents = sa.Column(sa.Integer, nullable=False)
    stock = sa.Column(sa.Integer, nullable=False)

    def to_json(self):
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "priceCents": self.price_cents,
            "stock": self.stock,
        }


def _whole_number(text, where):
    if not text.isdigit():
        raise ValueError("%s: '%s' is not a whole number 0 or more" % (where, text))
    return int(text)


def load(path):
    """An in-memory database holding the rows of the CSV file at `path`."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != HEADER:
        raise ValueError("%s:1: expected the header '%s'" % (path, ",".join(HEADER)))
    engine = sa.create_engine("sqlite://", future=True)
    Base.metadata.create_all(engine)
    with orm.Session(engine, future=True) as session, session.begin():
        for line, row in enumerate(rows[1:], start=2):
            where = "%s:%d" % (path, line)
            session.add(
                Item(
                    id=row[0],
                    name=row[1],
                    category=row[2],
                    price_cents=_whole_number(row[3], where),
                    stock=_whole_number(row[4], where),
                )
            )
    return engine


def _is_whole(value, low, high=None):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low and (high is None or value <= high)


def parse_query(event):
    if not isinstance(event, dict):
        raise InvalidInput("event must be a JSON object, for example " + EXAMPLE)
    for key in event:
        if key not in FIELDS:
            expected = ", ".join("'%s'" % f for f in FIELDS)
            raise InvalidInput("unknown field '%s' in event; expected %s" % (key, expected))
    for field in ("category", "search"):
        if event.get(field) is not None and not isinstance(event[field], str):
            raise InvalidInput("'%s' must be a string" % field)
    if event.get("maxPriceCents") is not None and not _is_whole(event["maxPriceCents"], 0):
        raise InvalidInput("'maxPriceCents' must be a whole number of cents, 0 or more")
    if event.get("inStock") is not None and not isinstance(event["inStock"], bool):
        raise InvalidInput("'inStock' must be true or false")
    if event.get("limit") is not None and not _is_whole(event["limit"], 1, MAX_LIMIT):
        raise InvalidInput("'limit' must be a whole number from 1 to %d" % MAX_LIMIT)
    return event


def query(engine, event):
    """The answer to one event, as a dict ready to be returned to Lambda."""
    q = parse_query(event)
    statement = sa.select(Item)
    if q.get("category") is not None:
        statement = statement.where(Item.category == q["category"])
    if q.get("search") is not None:
        statement = statement.where(sa.func.instr(sa.func.lower(Item.name), q["search"].lower()) > 0)
    if q.get("maxPriceCents") is not None:
        statement = statement.where(Item.price_cents <= q["maxPriceCents"])
    if q.get("inStock") is not None:
        statement = statement.where(Item.stock > 0 if q["inStock"] else Item.stock <= 0)
    statement = statement.order_by(Item.price_cents, Item.id).limit(q.get("limit") or DEFAULT_LIMIT)
    with orm.Session(engine, future=True) as session:
        items = [item.to_json() for item in session.execute(statement).scalars()]
    return {"count": len(items), "items": items}


# Init: runs once per execution environment, not once per invocation.
ENGINE = load(DATA)


@lambda_handler(name="catalog")
def handler(event, context):
    return query(ENGINE, event)
