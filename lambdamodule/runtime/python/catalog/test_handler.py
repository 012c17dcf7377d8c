"""PythonCatalogFunction's handler, with the layers on sys.path as Lambda puts them."""

import contextlib
import io
import os
import pathlib
import tempfile
import types
import unittest

import sqlalchemy

import handler
from pythonutils import InvalidInput

CONTEXT = types.SimpleNamespace(aws_request_id="c0ffee00-0000-4000-8000-000000000002")


def call(event):
    with contextlib.redirect_stdout(io.StringIO()):
        return handler.handler(event, CONTEXT)


class CatalogTest(unittest.TestCase):
    def test_sqlalchemy_comes_from_the_external_layer(self):
        layer = os.environ["PYTHON_EXTERNAL_LAYER"]
        self.assertTrue(sqlalchemy.__file__.startswith(layer + os.sep), sqlalchemy.__file__)

    def test_the_sample_event(self):
        answer = call({"category": "books", "maxPriceCents": 4000})
        self.assertEqual(answer["count"], 3)
        self.assertEqual([item["id"] for item in answer["items"]], ["B-003", "B-007", "B-002"])
        self.assertEqual(
            answer["items"][0],
            {"id": "B-003", "name": "A Tour of C++", "category": "books", "priceCents": 2999, "stock": 0},
        )

    def test_search_in_stock_and_limit(self):
        answer = call({"search": "C++", "inStock": True, "limit": 1})
        self.assertEqual(answer["count"], 1)
        self.assertEqual(answer["items"][0]["id"], "B-002")
        self.assertTrue(all(item["stock"] > 0 for item in call({"inStock": True})["items"]))
        self.assertTrue(all(item["stock"] == 0 for item in call({"inStock": False})["items"]))

    def test_no_filter_gives_the_ten_cheapest(self):
        answer = call({})
        prices = [item["priceCents"] for item in answer["items"]]
        self.assertEqual((answer["count"], prices), (10, sorted(prices)))

    def test_bad_events_are_invalid_input(self):
        for event, message in (
            ({"maxPriceCents": "cheap"}, "'maxPriceCents' must be a whole number of cents, 0 or more"),
            ({"maxPriceCents": True}, "'maxPriceCents' must be a whole number of cents, 0 or more"),
            ({"limit": 51}, "'limit' must be a whole number from 1 to 50"),
            ({"inStock": "yes"}, "'inStock' must be true or false"),
            ({"category": 7}, "'category' must be a string"),
            ({"colour": "red"}, "unknown field 'colour' in event; expected 'category', 'search', "
                                "'maxPriceCents', 'inStock', 'limit'"),
            ([1, 2], 'event must be a JSON object, for example {"category": "books", "maxPriceCents": 4000}'),
        ):
            with self.subTest(event=event), self.assertRaises(InvalidInput) as raised:
                call(event)
            self.assertEqual(str(raised.exception), message)

    def test_the_database_is_built_once_at_init(self):
        engine = handler.ENGINE
        call({})
        call({"category": "books"})
        self.assertIs(handler.ENGINE, engine)

    def test_a_broken_data_file_names_the_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp, "catalog.csv")
            path.write_text("id,name,category,price_cents,stock\nX-1,Thing,tools,12.50,1\n", encoding="utf-8")
            with self.assertRaisesRegex(ValueError, r"catalog\.csv:2: '12\.50' is not a whole number 0 or more"):
                handler.load(path)


if __name__ == "__main__":
    unittest.main()
