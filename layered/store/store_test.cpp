#include "store/store.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

namespace layered::store {
namespace {

namespace fs = std::filesystem;

struct ZipEntry {
  std::string name;
  std::string content;
  unsigned type = AE_IFREG;
  int perm = 0644;
  std::string link;  // symlink target
};

void make_zip(const fs::path& path, const std::vector<ZipEntry>& entries) {
  archive* a = archive_write_new();
  ASSERT_EQ(archive_write_set_format_zip(a), ARCHIVE_OK);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const ZipEntry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, static_cast<mode_t>(e.perm));
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
    archive_entry_set_size(entry, e.type == AE_IFREG ? static_cast<la_int64_t>(e.content.size()) : 0);
    ASSERT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
    if (e.type == AE_IFREG) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  ::lstat(p.c_str(), &st);
  return st.st_mode & 07777;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "store-test-XXXXXX").string();
    root = ::mkdtemp(t.data());
    store_dir = root / "state" / "store";
  }
  void TearDown() override { fs::remove_all(root); }

  // Every path under root, relative, sorted: proves nothing was written
  // outside the store (and nothing half-written inside it).
  std::vector<std::string> everything() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      out.push_back(e.path().lexically_relative(root).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void write(const std::string& rel, const std::string& text, mode_t mode = 0644) const {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
    ::chmod((root / rel).c_str(), mode);
  }

  Error put_fails(const fs::path& source, ExtractLimits limits = {}) {
    Store store(store_dir, limits);
    auto r = store.put(source);
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(store.keys().empty());
    return r.ok() ? Error{} : r.error();
  }

  fs::path root, store_dir;
};

TEST_F(StoreTest, ExtractsZipWithModesAndInTreeSymlinks) {
  const fs::path zip = root / "layer.zip";
  make_zip(zip, {{"lib/", "", AE_IFDIR, 0700},
                 {"lib/libx.so.1", "ELF?", AE_IFREG, 0600},
                 {"lib/libx.so", "", AE_IFLNK, 0777, "libx.so.1"},
                 {"bin/tool", "#!/bin/sh\n", AE_IFREG, 0700},
                 {"./bootstrap", "#!/bin/sh\n", AE_IFREG, 0755}});
  Store store(store_dir);
  auto stored = store.put(zip);
  ASSERT_TRUE(stored.ok()) << format_error(stored.error());
  EXPECT_FALSE(stored->reused);
  EXPECT_EQ(stored->key, *sha256_file(zip));
  EXPECT_EQ(stored->path, store_dir / stored->key);
  EXPECT_EQ(mode_of(stored->path), 0755u);
  EXPECT_EQ(mode_of(stored->path / "lib"), 0755u);
  EXPECT_EQ(mode_of(stored->path / "bin"), 0755u);
  EXPECT_EQ(mode_of(stored->path / "lib/libx.so.1"), 0644u);
  EXPECT_EQ(mode_of(stored->path / "bin/tool"), 0755u);
  EXPECT_EQ(mode_of(stored->path / "bootstrap"), 0755u);
  EXPECT_EQ(fs::read_symlink(stored->path / "lib/libx.so"), "libx.so.1");
  EXPECT_EQ(read(stored->path / "lib/libx.so"), "ELF?");

  auto again = store.put(zip);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(store.keys(), std::vector<std::string>{stored->key});
}

TEST_F(StoreTest, RefusesPathTraversal) {
  const fs::path zip = root / "evil.zip";
  make_zip(zip, {{"ok.txt", "fine"}, {"lib/../../evil.txt", "pwned"}});
  Error e = put_fails(zip);
  EXPECT_EQ(e.message, "entry 'lib/../../evil.txt' has a '..' component (path traversal)");
  EXPECT_EQ(e.where, zip.string());
  EXPECT_EQ(everything(), (std::vector<std::string>{"evil.zip", "state", "state/store"}));
}

TEST_F(StoreTest, RefusesAbsolutePaths) {
  const fs::path zip = root / "abs.zip";
  const fs::path target = root / "absolute.txt";
  make_zip(zip, {{target.string(), "pwned"}});
  Error e = put_fails(zip);
  EXPECT_EQ(e.message, "entry '" + target.string() + "' is an absolute path");
  EXPECT_FALSE(fs::exists(target));
  EXPECT_EQ(everything(), (std::vector<std::string>{"abs.zip", "state", "state/store"}));
}

TEST_F(StoreTest, RefusesEscapingSymlinks) {
  const fs::path zip = root / "link.zip";
  make_zip(zip, {{"lib/passwd", "", AE_IFLNK, 0777, "../../../etc/passwd"}});
  Error e = put_fails(zip);
  EXPECT_EQ(e.message, "symlink 'lib/passwd' -> '../../../etc/passwd' points outside the archive");

  // Each target looks harmless lexically; followed for real, 'esc' leaves.
  const fs::path chain = root / "chain.zip";
  make_zip(chain, {{"d/", "", AE_IFDIR, 0755},
                   {"up", "", AE_IFLNK, 0777, "d/.."},
                   {"d/inner", "", AE_IFLNK, 0777, "../up"},
                   {"esc", "", AE_IFLNK, 0777, "d/inner/.."}});
  e = put_fails(chain);
  EXPECT_EQ(e.message, "symlink 'esc' -> 'd/inner/..' points outside the archive");
  EXPECT_EQ(everything(), (std::vector<std::string>{"chain.zip", "link.zip", "state", "state/store"}));
}

TEST_F(StoreTest, RefusesWritingThroughASymlink) {
  const fs::path zip = root / "through.zip";
  make_zip(zip, {{"out", "", AE_IFLNK, 0777, "sub"}, {"sub/", "", AE_IFDIR, 0755}, {"out/x", "data"}});
  Error e = put_fails(zip);
  EXPECT_EQ(e.message.rfind("cannot create symlink 'out'", 0), 0u) << e.message;
}

TEST_F(StoreTest, EnforcesSizeAndEntryLimits) {
  const fs::path zip = root / "big.zip";
  make_zip(zip, {{"small.txt", std::string(600, 'a')}, {"big.txt", std::string(600, 'b')}});
  Error e = put_fails(zip, ExtractLimits{1000, 100});
  EXPECT_EQ(e.message, "Unzipped size must be smaller than 1000 bytes (exceeded at entry 'big.txt')");
  EXPECT_EQ(e.hint, "Lambda's limit for a function and all its layers is 250 MB unzipped");

  const fs::path many = root / "many.zip";
  make_zip(many, {{"1", "1"}, {"2", "2"}, {"3", "3"}, {"4", "4"}});
  e = put_fails(many, ExtractLimits{1000, 3});
  EXPECT_EQ(e.message, "archive has more than 3 entries");
  EXPECT_EQ(e.hint, kTooManyEntriesHint);
  EXPECT_EQ(everything(), (std::vector<std::string>{"big.zip", "many.zip", "state", "state/store"}));
  EXPECT_EQ(ExtractLimits{}.max_total_bytes, 262144000u);
}

TEST_F(StoreTest, CopiesDirectoriesByContent) {
  write("a/lib/x.txt", "x", 0600);
  write("a/bootstrap", "#!/bin/sh\n", 0700);
  fs::create_symlink("x.txt", root / "a/lib/y.txt");
  write("b/lib/x.txt", "x", 0640);
  write("b/bootstrap", "#!/bin/sh\n", 0750);
  fs::create_symlink("x.txt", root / "b/lib/y.txt");
  Store store(store_dir);
  auto a = store.put(root / "a");
  ASSERT_TRUE(a.ok()) << format_error(a.error());
  auto b = store.put(root / "b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->key, b->key);  // same content and exec bits: stored once
  EXPECT_TRUE(b->reused);
  EXPECT_EQ(mode_of(a->path / "lib/x.txt"), 0644u);
  EXPECT_EQ(mode_of(a->path / "bootstrap"), 0755u);
  EXPECT_EQ(fs::read_symlink(a->path / "lib/y.txt"), "x.txt");

  ::chmod((root / "b/bootstrap").c_str(), 0644);  // losing the exec bit is a different package
  EXPECT_NE(*sha256_tree(root / "b"), a->key);
}

TEST_F(StoreTest, StoresInlineCodeAsOneFileKeyedLikeTheSameDirectory) {
  Store store(store_dir);
  const std::string code = "def handler(event, context):\n    return 1\n";
  auto stored = store.put_files({{"index.py", code}});
  ASSERT_TRUE(stored.ok()) << format_error(stored.error());
  EXPECT_FALSE(stored->reused);
  EXPECT_EQ(read(stored->path / "index.py"), code);
  EXPECT_EQ(mode_of(stored->path / "index.py"), 0644u);
  EXPECT_EQ(mode_of(stored->path), 0755u);
  write("same/index.py", code, 0600);
  auto same = store.put(root / "same");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->key, stored->key);
  EXPECT_TRUE(same->reused);
  auto again = store.put_files({{"index.py", code}});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->reused);
  EXPECT_NE(store.put_files({{"index.js", code}})->key, stored->key);
  // Nothing but the two entries: no temporary directory left behind.
  EXPECT_EQ(store.keys().size(), 2u);
  EXPECT_EQ(std::distance(fs::directory_iterator(store_dir), fs::directory_iterator()), 2);
}

TEST_F(StoreTest, InlineCodeNeedsFileNamesAndMayHaveSeveralFiles) {
  Store store(store_dir);
  for (const char* name : {"", "..", "a/b", "../index.py"}) {
    auto r = store.put_files({{"index.py", "x"}, {name, "x"}});
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_NE(r.error().message.find("is not a file name"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(root / "index.py"));
  EXPECT_TRUE(store.keys().empty());
  EXPECT_FALSE(store.put_files({}).ok());
  auto two = store.put_files({{"index.py", "import cfnresponse\n"}, {"cfnresponse.py", "SUCCESS = 1\n"}});
  ASSERT_TRUE(two.ok()) << format_error(two.error());
  EXPECT_EQ(read(two->path / "cfnresponse.py"), "SUCCESS = 1\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(store_dir), fs::directory_iterator()), 1);
}

TEST_F(StoreTest, RefusesSpecialFilesAndEscapingLinksInDirectories) {
  write("fifo/ok.txt", "ok");
  ASSERT_EQ(::mkfifo((root / "fifo/pipe").c_str(), 0644), 0);
  Error e = put_fails(root / "fifo");
  EXPECT_EQ(e.message,
            "'pipe' is a device, FIFO or socket; only files, directories and symlinks are allowed");

  write("link/ok.txt", "ok");
  fs::create_symlink("../fifo/ok.txt", root / "link/escape");
  e = put_fails(root / "link");
  EXPECT_EQ(e.message, "symlink 'escape' -> '../fifo/ok.txt' points outside the archive");
}

TEST_F(StoreTest, RemovesUnreferencedEntries) {
  write("one/a.txt", "1");
  write("two/a.txt", "2");
  Store store(store_dir);
  auto one = store.put(root / "one");
  auto two = store.put(root / "two");
  ASSERT_TRUE(one.ok() && two.ok());
  fs::create_directories(store_dir / ".tmp-leftover/x");
  ASSERT_TRUE(store.remove_unreferenced({one->key}).ok());
  EXPECT_EQ(store.keys(), std::vector<std::string>{one->key});
  EXPECT_FALSE(fs::exists(store_dir / ".tmp-leftover"));
  EXPECT_TRUE(fs::exists(one->path / "a.txt"));
}

// An environment running an entry's code holds a shared lock on it (as
// invoke's Environment does): a deploy's collection leaves that entry for a
// later one, and takes the rest.
TEST_F(StoreTest, CollectionLeavesAnEntryAnEnvironmentHolds) {
  write("one/a.txt", "1");
  write("two/b.txt", "2");
  Store store(store_dir);
  auto one = store.put(root / "one");
  auto two = store.put(root / "two");
  ASSERT_TRUE(one.ok() && two.ok());
  const int held = ::open(one->path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_SH), 0);
  ASSERT_TRUE(store.remove_unreferenced({}).ok());
  EXPECT_TRUE(fs::exists(one->path / "a.txt")) << "the running code was removed";
  EXPECT_FALSE(fs::exists(two->path));
  ::close(held);
  ASSERT_TRUE(store.remove_unreferenced({}).ok());
  EXPECT_FALSE(fs::exists(one->path)) << "a later collection takes it";
}

TEST_F(StoreTest, NotAZipOrMissing) {
  write("notes.txt", "hello");
  Error e = put_fails(root / "notes.txt");
  EXPECT_EQ(e.message, "Could not unzip uploaded file. Please check your file, then try to upload again.");
  e = put_fails(root / "missing.zip");
  EXPECT_EQ(e.message, "no such file or directory");
}

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// Where the central directory starts, from the end record of a zip without a comment.
std::size_t central_directory_offset(const std::string& zip) {
  const std::size_t end = zip.size() - 22;
  std::size_t offset = 0;
  for (int i = 3; i >= 0; --i) offset = (offset << 8) | static_cast<unsigned char>(zip[end + 16 + i]);
  return offset;
}

TEST_F(StoreTest, ZipWithItsCentralDirectoryCutOffIsRefusedAsLambdaDoes) {
  const fs::path zip = root / "fn.zip";
  make_zip(zip, {{"bootstrap", "#!/bin/sh\n", AE_IFREG, 0755}, {"lib/a.txt", std::string(3000, 'a')}});
  const std::string whole = bytes_of(zip);
  const std::size_t directory = central_directory_offset(whole);
  ASSERT_LT(directory, whole.size());
  for (std::size_t cut : {directory + 10, whole.size() - 5, directory}) {
    write_bytes(zip, whole.substr(0, cut));
    Error e = put_fails(zip);
    EXPECT_EQ(e.message, "Could not unzip uploaded file. Please check your file, then try to upload again.")
        << "cut at " << cut << " of " << whole.size();
  }
}

TEST_F(StoreTest, EmptyZipOrDirectoryIsRefusedAsLambdaDoes) {
  const fs::path zip = root / "empty.zip";
  make_zip(zip, {});
  EXPECT_EQ(put_fails(zip).message, "Uploaded file must be a non-empty zip");
  fs::create_directories(root / "empty-dir");
  EXPECT_EQ(put_fails(root / "empty-dir").message, "Uploaded file must be a non-empty zip");
}

// Every prefix of a zip, and the zip with any one byte changed: each is
// either extracted or refused, never a crash (run under ASan + UBSan).
TEST_F(StoreTest, NoCutOrDamagedZipCrashesExtraction) {
  const fs::path zip = root / "fn.zip";
  make_zip(zip, {{"bootstrap", "#!/bin/sh\n", AE_IFREG, 0755},
                 {"lib", "", AE_IFDIR, 0755},
                 {"lib/a.txt", "hello"},
                 {"lib/b.txt", "b", AE_IFLNK, 0777, "a.txt"}});
  const std::string whole = bytes_of(zip);
  const fs::path damaged = root / "damaged.zip";
  int refused = 0;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    for (const std::string& bytes :
         {whole.substr(0, i), whole.substr(0, i) + char(whole[i] ^ 0x5a) + whole.substr(i + 1)}) {
      write_bytes(damaged, bytes);
      fs::remove_all(root / "out");
      refused += extract_zip(damaged, root / "out", ExtractLimits{}).ok() ? 0 : 1;
    }
  }
  EXPECT_GE(refused, static_cast<int>(whole.size()));  // every strict prefix at least
}

TEST_F(StoreTest, SparseFilesStaySparseInTheStore) {
  fs::create_directories(root / "big");
  std::ofstream(root / "big/zeros.bin").close();
  fs::resize_file(root / "big/zeros.bin", 64u << 20);
  Store store(store_dir);
  auto stored = store.put(root / "big");
  ASSERT_TRUE(stored.ok()) << format_error(stored.error());
  struct stat st {};
  ASSERT_EQ(::stat((stored->path / "zeros.bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 64 << 20);
  EXPECT_LT(st.st_blocks * 512, 1 << 20);
}

// Reading 1 TB of holes takes tens of minutes: the store must refuse the
// directory from its sizes before it hashes or copies anything. The put runs
// in a child so that a store that reads the file fails this test in seconds
// instead of hanging it.
TEST_F(StoreTest, AHugeSparseFileIsRefusedBeforeAnythingReadsIt) {
  fs::create_directories(root / "huge");
  write("huge/index.py", "def handler(e, c): pass\n");
  std::ofstream(root / "huge/sparse.bin").close();
  fs::resize_file(root / "huge/sparse.bin", std::uintmax_t{1} << 40);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto r = Store(store_dir).put(root / "huge");
    const std::string said = r.ok() ? "stored" : format_error(r.error());
    (void)!::write(pipe_fds[1], said.data(), said.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 200 && done == 0; ++i) {  // 20 s
    done = ::waitpid(child, &status, WNOHANG);
    if (done == 0) ::usleep(100 * 1000);
  }
  if (done == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
  }
  char buffer[1024] = {};
  const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer - 1);
  ::close(pipe_fds[0]);
  ASSERT_NE(done, 0) << "the store was still reading the sparse file after 20 s";
  EXPECT_EQ(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0),
            "layered: error: " + (root / "huge").string() +
                ": Unzipped size must be smaller than 262144000 bytes (exceeded at 'sparse.bin')\n"
                "  Lambda's limit for a function and all its layers is 250 MB unzipped");
  EXPECT_TRUE(Store(store_dir).keys().empty());
}

TEST_F(StoreTest, ExtractZipIsUsableAlone) {
  const fs::path zip = root / "fn.zip";
  make_zip(zip, {{"bootstrap", "#!/bin/sh\n", AE_IFREG, 0755}});
  ASSERT_TRUE(extract_zip(zip, root / "out", ExtractLimits{}).ok());
  EXPECT_EQ(read(root / "out/bootstrap"), "#!/bin/sh\n");
}

TEST(Sha256, KnownValue) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace layered::store
