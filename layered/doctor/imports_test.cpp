// The import scanner and the standard-library lists.
#include <gtest/gtest.h>

#include "doctor/internal.hpp"

namespace layered::doctor {
namespace {

std::string names(std::string_view source) {
  std::string out;
  for (const auto& i : top_level_imports(source)) out += i.name + ":" + std::to_string(i.line) + " ";
  return out;
}

TEST(PythonImports, PlainFromAndAliases) {
  EXPECT_EQ(names("import os\nimport flask.json as fj, jinja2\nfrom sqlalchemy import orm\n"
                  "from werkzeug.test import (\n    EnvironBuilder,\n)\n"),
            "os:1 flask:2 jinja2:2 sqlalchemy:3 werkzeug:4 ");
}

TEST(PythonImports, LeavesOutRelativeFutureIndentedAndStrings) {
  EXPECT_EQ(names("from __future__ import annotations\n"
                  "from . import sibling\n"
                  "from .models import Item\n"
                  "try:\n    import ujson as json\nexcept ImportError:\n    import json\n"
                  "def f():\n    import requests\n"
                  "\"\"\"Usage:\nimport notamodule\n\"\"\"\n"
                  "x = 'import alsonot'  # import comment\n"
                  "y = 1 + \\\n  2\n"
                  "import yaml\n"),
            "yaml:16 ");
}

TEST(PythonImports, CrlfAndSemicolons) {
  EXPECT_EQ(names("import boto3\r\nimport six;\r\n"), "boto3:1 six:2 ");
}

// One 60 KB line overflowed std::regex's recursion: doctor (and deploy,
// which runs it) died with SIGSEGV.
TEST(PythonImports, AVeryLongLineIsScannedWithoutRecursion) {
  std::string from = "from os import a";
  std::string plain = "import six";
  for (int i = 0; i < 10000; ++i) from += ", a";
  for (int i = 0; i < 10000; ++i) plain += ", six";
  EXPECT_EQ(names(from + "\n" + plain + "\n").substr(0, 12), "os:1 six:2 s");
  EXPECT_EQ(names("import " + std::string(200000, 'x') + " as y\n").size(), 200000u + 3);  // "x...x:1 "
}

TEST(PythonImports, WhatIsNotAnImportIsLeftOut) {
  EXPECT_EQ(names("important = 1\nfromage = 2\nimport\nfrom x\nfrom x importer\nimport a-b\n"
                  "import a as b.c\nimport a b\nfrom  pkg.sub  import  (x)\n"),
            "pkg:9 ");
}

TEST(PythonStdlib, KnowsEachVersion) {
  EXPECT_TRUE(is_stdlib_module("3.11", "json"));
  EXPECT_TRUE(is_stdlib_module("3.11", "tomllib"));
  EXPECT_FALSE(is_stdlib_module("3.10", "tomllib"));  // new in 3.11
  EXPECT_TRUE(is_stdlib_module("3.11", "distutils"));
  EXPECT_FALSE(is_stdlib_module("3.12", "distutils"));  // removed in 3.12 (PEP 632)
  EXPECT_TRUE(is_stdlib_module("3.12", "cgi"));
  EXPECT_FALSE(is_stdlib_module("3.13", "cgi"));  // removed in 3.13 (PEP 594)
  EXPECT_TRUE(is_stdlib_module("3.14", "annotationlib"));
  EXPECT_TRUE(is_stdlib_module("3.9", "asyncio"));
  EXPECT_FALSE(is_stdlib_module("3.11", "flask"));
  EXPECT_FALSE(is_stdlib_module("3.8", "json"));  // no list for 3.8
}

}  // namespace
}  // namespace layered::doctor
