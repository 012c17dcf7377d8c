#include <gtest/gtest.h>

#include "model/model.hpp"

using namespace layered;
using model::Kind;

namespace {

model::Node dir(std::string rel) { return {std::move(rel), Kind::directory}; }
model::Node file(std::string rel) { return {std::move(rel), Kind::file}; }
model::Node link(std::string rel) { return {std::move(rel), Kind::symlink}; }

}  // namespace

TEST(Overlay, LaterFileWinsAndDirectoriesMerge) {
  auto o = model::overlay(
      {{dir("lib"), file("lib/a.so"), file("lib/shared.so")}, {file("lib/shared.so"), file("bin/tool")}});
  EXPECT_EQ(o.entries.at("lib/a.so").layer, 0);
  EXPECT_EQ(o.entries.at("lib/shared.so").layer, 1);
  EXPECT_EQ(o.entries.at("lib/shared.so").overwritten, std::vector<int>{0});
  EXPECT_EQ(o.entries.at("bin").kind, Kind::directory);  // implicit parent
  EXPECT_TRUE(o.dropped.empty());
}

TEST(Overlay, ALaterFileDoesNotReplaceAnEarlierDirectory) {
  auto o = model::overlay({{dir("share"), dir("share/data"), file("share/data/a.txt")},
                           {file("share/data"), file("share/other")}});
  EXPECT_EQ(o.entries.at("share/data").kind, Kind::directory);
  EXPECT_EQ(o.entries.at("share/data").layer, 0);
  EXPECT_EQ(o.entries.at("share/data/a.txt").layer, 0);
  EXPECT_EQ(o.entries.at("share/other").layer, 1);
  ASSERT_EQ(o.dropped.size(), 1u);
  EXPECT_EQ(o.dropped[0].rel, "share/data");
  EXPECT_EQ(o.dropped[0].layer, 1);
  EXPECT_EQ(o.dropped[0].blocker, "share/data");
  EXPECT_EQ(o.dropped[0].blocker_layer, 0);
}

TEST(Overlay, NothingIsExtractedUnderAnEarlierFileOrSymlink) {
  auto o =
      model::overlay({{file("conf"), link("lib64")}, {dir("conf"), file("conf/x"), file("lib64/libz.so")}});
  EXPECT_EQ(o.entries.at("conf").kind, Kind::file);
  EXPECT_EQ(o.entries.at("lib64").kind, Kind::symlink);
  EXPECT_FALSE(o.entries.count("conf/x"));
  EXPECT_FALSE(o.entries.count("lib64/libz.so"));
  ASSERT_EQ(o.dropped.size(), 3u);
  EXPECT_EQ(o.dropped[1].rel, "conf/x");
  EXPECT_EQ(o.dropped[1].blocker, "conf");
}

TEST(Overlay, ASymlinkReplacesAFileAndTheOtherWayRound) {
  auto o = model::overlay({{file("bootstrap"), link("run")}, {link("bootstrap"), file("run")}});
  EXPECT_EQ(o.entries.at("bootstrap").kind, Kind::symlink);
  EXPECT_EQ(o.entries.at("run").kind, Kind::file);
  EXPECT_EQ(o.entries.at("run").overwritten, std::vector<int>{0});
}
