#include "invoke/log_buffer.hpp"

#include <gtest/gtest.h>

#include <sstream>

using layered::invoke::LogBuffer;

TEST(LogBuffer, KeepsEverythingUnderTheBound) {
  LogBuffer log;
  log.append("partial", 7);
  log.line("START");
  log.append("a\n", 2);
  EXPECT_EQ(log.take(), "partial\nSTART\na\n");
  EXPECT_TRUE(log.empty());
}

TEST(LogBuffer, AFloodKeepsHeadAndTailWithOneMarker) {
  LogBuffer log;
  std::string chunk(100000, 'x');
  for (int i = 0; i < 200; ++i) log.append(chunk.data(), chunk.size());  // 20 MB
  log.line("END RequestId: 1");
  std::string out = log.take();
  EXPECT_LT(out.size(), LogBuffer::kHeadBytes + LogBuffer::kTailBytes + 100);
  EXPECT_EQ(out.substr(0, 10), std::string(10, 'x'));
  auto marker = out.find("[layered: ");
  ASSERT_NE(marker, std::string::npos);
  EXPECT_EQ(out.find("[layered: ", marker + 1), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 17), "END RequestId: 1\n");
  // What was dropped is exactly what is missing.
  std::size_t kept = LogBuffer::kHeadBytes + LogBuffer::kTailBytes;
  EXPECT_NE(out.find("[layered: " + std::to_string(20000000 + 18 - kept) + " bytes"), std::string::npos)
      << out.substr(marker, 80);
}

TEST(LogBuffer, TheTailRingKeepsOrderAcrossWraps) {
  LogBuffer log;
  std::string head(LogBuffer::kHeadBytes, 'h');
  log.append(head.data(), head.size());
  for (int i = 0; i < 300000; ++i) {
    std::string n = std::to_string(i) + "\n";
    log.append(n.data(), n.size());
  }
  std::string out = log.take();
  EXPECT_EQ(out.substr(out.size() - 7), "299999\n");
  std::istringstream tail(out.substr(out.find("here]\n") + 6));
  std::string line;
  std::getline(tail, line);  // may be cut
  std::getline(tail, line);
  int previous = std::stoi(line);
  while (std::getline(tail, line)) {
    int value = std::stoi(line);
    ASSERT_EQ(value, previous + 1);
    previous = value;
  }
}
