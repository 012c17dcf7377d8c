// The real bubblewrap sandbox, run with busybox scripts as bootstraps.
#include "sandbox/sandbox.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "sandbox/walls.hpp"

namespace fs = std::filesystem;
using namespace layered;

namespace {

struct Outcome {
  std::string output;
  sandbox::ExitStatus status;
  bool oom = false;
  std::uint64_t peak = 0;
};

Outcome run_to_end(sandbox::Sandbox& box) {
  Outcome run;
  char buf[4096];
  for (;;) {
    pollfd fds[2] = {{box.output_fd(), POLLIN, 0}, {box.exit_fd(), POLLIN, 0}};
    int interval = box.sample_interval_ms();
    ::poll(fds, 2, interval > 0 ? interval : 1000);
    if (interval > 0) box.sample_memory();
    for (ssize_t n; (n = ::read(box.output_fd(), buf, sizeof buf)) > 0;) run.output.append(buf, n);
    if (auto status = box.poll_exit()) {
      for (ssize_t n; (n = ::read(box.output_fd(), buf, sizeof buf)) > 0;) run.output.append(buf, n);
      run.status = *status;
      break;
    }
  }
  run.oom = box.out_of_memory();
  run.peak = box.peak_memory_bytes();
  return run;
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("sandbox-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "task");
    fs::create_directories(root_ / "opt");
  }
  void TearDown() override { fs::remove_all(root_); }

  void bootstrap(const std::string& script, const std::string& dir = "task") {
    auto path = root_ / dir / "bootstrap";
    std::ofstream(path) << "#!/bin/sh\n" << script << "\n";
    fs::permissions(path, fs::perms(0755));
  }

  sandbox::Plan plan() {
    auto image = image::load("provided.al2023");
    sandbox::Identity id;
    id.function_name = "fn";
    id.handler = "handler.main";
    id.runtime_api = "127.0.0.1:9001";
    id.log_stream = "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef";
    sandbox::Plan p;
    p.code_dir = (root_ / "task").string();
    p.opt_dir = (root_ / "opt").string();
    p.environment = sandbox::lambda_environment(*image, id, {{"GREETING", "hi"}});
    auto boot = sandbox::find_bootstrap(p.code_dir, p.opt_dir);
    p.bootstrap = boot.ok() ? *boot : "";
    auto programs = sandbox::prepare_host_programs(*image, (root_ / "cache").string());
    p.host_programs_dir = programs.ok() ? *programs : "";
    auto tree = sandbox::prepare_image_tree(*image, p.host_programs_dir, (root_ / "cache").string());
    p.image_dir = tree.ok() ? *tree : "";
    return p;
  }

  Outcome run(const sandbox::Plan& p, sandbox::Launcher& launcher) {
    auto box = launcher.start(p);
    EXPECT_TRUE(box.ok()) << (box.ok() ? "" : format_error(box.error()));
    if (!box.ok()) return {};
    return run_to_end(**box);
  }
  Outcome run(const sandbox::Plan& p) { return run(p, *sandbox::bwrap_launcher()); }

  fs::path root_;
};

TEST(LambdaEnvironment, LambdaVariablesThenTheFunctionsOwn) {
  auto image = image::load("provided.al2023");
  ASSERT_TRUE(image.ok());
  sandbox::Identity id;
  id.function_name = "greet";
  id.memory_mb = 256;
  id.runtime_api = "127.0.0.1:4000";
  auto env = sandbox::lambda_environment(
      *image, id,
      {{"LANG", "C"}, {"AWS_REGION", "xx"}, {"AWS_XRAY_CONTEXT_MISSING", "IGNORE_ERROR"}, {"MINE", "1"}});
  std::map<std::string, std::string> m(env.begin(), env.end());
  EXPECT_EQ(m["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:4000");
  EXPECT_EQ(m["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
  EXPECT_EQ(m["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/greet");
  EXPECT_EQ(m["LD_LIBRARY_PATH"],
            "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib");
  EXPECT_EQ(m["PATH"], "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin");
  EXPECT_EQ(m["LANG"], "C");                                 // unreserved: the function may set it
  EXPECT_EQ(m["AWS_REGION"], "us-east-1");                   // reserved: ignored
  EXPECT_EQ(m["AWS_XRAY_CONTEXT_MISSING"], "IGNORE_ERROR");  // unreserved, LOG_ERROR unless set
  EXPECT_EQ(m["AWS_XRAY_DAEMON_ADDRESS"], "169.254.79.129:2000");
  EXPECT_EQ(m["_AWS_XRAY_DAEMON_ADDRESS"], "169.254.79.129");
  EXPECT_EQ(m["_AWS_XRAY_DAEMON_PORT"], "2000");
  EXPECT_EQ(env.back(), (std::pair<std::string, std::string>{"MINE", "1"}));
  EXPECT_EQ(env.front().first, "_HANDLER");
}

TEST(BootstrapCommand, NodesHeapIsSizedByTheFunctionsMemory) {
  sandbox::Plan p;
  p.managed = sandbox::ManagedRuntime{};
  const std::vector<std::string> node = {"/var/lang/bin/node", "--expose-gc", "--max-http-header-size",
                                         "81920"};
  p.managed->command = node;
  p.managed->command.push_back("/var/runtime/index.mjs");
  auto with = [&](std::vector<std::string> flags) {
    std::vector<std::string> all = node;
    all.insert(all.end(), flags.begin(), flags.end());
    all.push_back("/var/runtime/index.mjs");
    return all;
  };
  p.environment = {{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"}};
  EXPECT_EQ(sandbox::bootstrap_command(p), with({"--max-semi-space-size=25", "--max-old-space-size=461"}));
  p.environment = {{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"}};
  EXPECT_EQ(sandbox::bootstrap_command(p), with({"--max-semi-space-size=6", "--max-old-space-size=116"}));
  p.environment = {{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "10240"}};
  EXPECT_EQ(sandbox::bootstrap_command(p), with({"--max-semi-space-size=512", "--max-old-space-size=9216"}));
  p.environment = {};
  EXPECT_EQ(sandbox::bootstrap_command(p), with({}));
  // Python's start line has no such flags.
  p.managed->command = {"/var/lang/bin/python3.12", "-s", "/var/runtime/bootstrap.py"};
  p.environment = {{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"}};
  EXPECT_EQ(sandbox::bootstrap_command(p), p.managed->command);
}

TEST_F(SandboxTest, BootstrapFromTaskBeatsOpt) {
  bootstrap("true", "task");
  bootstrap("true", "opt");
  EXPECT_EQ(*sandbox::find_bootstrap((root_ / "task").string(), (root_ / "opt").string()),
            "/var/task/bootstrap");
  fs::remove(root_ / "task/bootstrap");
  EXPECT_EQ(*sandbox::find_bootstrap((root_ / "task").string(), (root_ / "opt").string()), "/opt/bootstrap");
}

TEST_F(SandboxTest, MissingOrNotExecutableBootstrapIsInvalidEntrypoint) {
  std::ofstream(root_ / "task/bootstrap") << "#!/bin/sh\n";
  auto boot = sandbox::find_bootstrap((root_ / "task").string(), (root_ / "opt").string());
  ASSERT_FALSE(boot.ok());
  EXPECT_EQ(boot.error().message, "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]");
}

TEST_F(SandboxTest, ExitStatusReadsLikeLambda) {
  EXPECT_EQ((sandbox::ExitStatus{1, 0}.describe()), "exit status 1");
  EXPECT_EQ((sandbox::ExitStatus{0, 9}.describe()), "signal: killed");
  EXPECT_EQ((sandbox::ExitStatus{0, 11}.describe()), "signal: segmentation fault");
}

TEST_F(SandboxTest, OnlyLambdasEnvironmentIsVisible) {
  ::setenv("AWS_ACCESS_KEY_ID", "AKIAHOSTCREDENTIAL", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "host-secret", 1);
  bootstrap("env | sort");
  auto r = run(plan());
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(r.status.describe(), "exit status 0");
  EXPECT_NE(r.output.find("AWS_LAMBDA_FUNCTION_NAME=fn\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("GREETING=hi\n"), std::string::npos);
  EXPECT_NE(r.output.find("AWS_ACCESS_KEY_ID=LAYEREDLOCALFAKEKEY\n"), std::string::npos);
  EXPECT_NE(r.output.find("AWS_XRAY_CONTEXT_MISSING=LOG_ERROR\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("AWS_XRAY_DAEMON_ADDRESS=169.254.79.129:2000\n"), std::string::npos);
  EXPECT_EQ(r.output.find("AKIAHOSTCREDENTIAL"), std::string::npos);
  EXPECT_EQ(r.output.find("host-secret"), std::string::npos);
  EXPECT_EQ(r.output.find("HOME="), std::string::npos);
}

TEST_F(SandboxTest, RootIsTheEmulatedImageNotThisMachine) {
  bootstrap(
      "for p in /etc/ld.so.cache /usr/lib/x86_64-linux-gnu /usr/bin/bwrap /usr/bin/python3 /root/.aws /home "
      "/usr/lib64/libgomp.so.1; do [ -e $p ] && echo visible:$p; done\n"
      "ls /lib64/libc.so.6 /lib64/libgcc_s.so.1 /usr/lib64/libstdc++.so.6 /bin/sh /usr/bin/bash "
      "/etc/pki/tls/certs/ca-bundle.crt\n"
      "cat /etc/os-release | head -1\n"
      "bash -c 'echo bash works'\n"
      "pwd");
  auto r = run(plan());
  EXPECT_EQ(r.status.describe(), "exit status 0") << r.output;
  EXPECT_EQ(r.output.find("visible:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/lib64/libc.so.6\n"), std::string::npos) << r.output;
  // AL2023's minimal image has GCC's runtime libraries (lambda-facts.md section 9).
  EXPECT_NE(r.output.find("/lib64/libgcc_s.so.1\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/usr/lib64/libstdc++.so.6\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NAME=\"Amazon Linux\"\n"), std::string::npos);
  EXPECT_NE(r.output.find("bash works\n"), std::string::npos);
  EXPECT_NE(r.output.find("/var/task\n"), std::string::npos);
}

TEST_F(SandboxTest, BinBashIsGnuBash) {
  // Amazon Linux's /bin/bash is GNU bash: bootstraps and AWS's exec-wrapper
  // example (runtimes-modify.html) use arrays, declare and shopt.
  auto wrapper = root_ / "task/wrapper";
  std::ofstream(wrapper) << "#!/bin/bash\n"
                            "args=(\"$@\")\n"
                            "declare -A seen=([k]=v)\n"
                            "shopt -s nullglob\n"
                            "echo \"last=${args[@]: -1} count=${#args[@]} map=${seen[k]} self=$BASH\"\n"
                            "[[ $BASH_VERSION == [45].* ]] && echo gnu\n";
  fs::permissions(wrapper, fs::perms(0755));
  bootstrap(
      "/var/task/wrapper /var/lang/bin/python3 /var/runtime/bootstrap.py\n"
      "ls /lib64/libtinfo.so.6 /usr/lib64/libtinfo.so.6 2>/dev/null\n"  // bash's libraries stay in its bundle
      "bash -c 'a=(1 2); echo ${#a[@]}'");
  auto r = run(plan());
  EXPECT_EQ(r.status.describe(), "exit status 0") << r.output;
  EXPECT_EQ(r.output, "last=/var/runtime/bootstrap.py count=2 map=v self=/bin/bash\ngnu\n2\n");
}

TEST_F(SandboxTest, BinShIsBashAndCoreutilsAreOnThePath) {
  // Amazon Linux's /bin/sh is bash, so #!/bin/sh bootstraps with bash syntax
  // work there; and its coreutils are programs that bash finds on PATH (the
  // tutorial's bootstrap under #!/bin/bash calls mktemp).
  auto script = root_ / "task/script";
  std::ofstream(script)
      << "#!/bin/sh\n"
         "[[ ${BASH-none} != none ]] && echo \"sh is bash: ${0##*/} posix=$(shopt -o posix | tr -s ' \t' "
         "' ')\"\n";
  fs::permissions(script, fs::perms(0755));
  bootstrap(
      "/var/task/script\n"
      "bash -c 'f=$(mktemp) && echo aGk= | base64 -d > $f && printf \"%s\\n\" \"$(cat $f)\" b b | uniq | "
      "tr \"\\n\" \" \"; rm $f; timeout 5 true && echo; nproc > /dev/null && echo found'");
  auto r = run(plan());
  EXPECT_EQ(r.status.describe(), "exit status 0") << r.output;
  EXPECT_EQ(r.output, "sh is bash: script posix=posix on\nhi b \nfound\n");
}

TEST_F(SandboxTest, ImageTreeHoldsEveryLibraryTheDataLists) {
  // What doctor resolves against must be what a function can load here.
  for (const auto& runtime : image::runtimes()) {
    auto image = image::load(runtime);
    ASSERT_TRUE(image.ok()) << runtime;
    auto tree = sandbox::prepare_image_tree(*image, "", (root_ / "cache").string());
    ASSERT_TRUE(tree.ok()) << runtime;
    for (const auto& lib : image->libraries)
      EXPECT_TRUE(fs::exists(fs::path(*tree) / fs::path(image->library_dir).relative_path() / lib))
          << runtime << ": " << lib;
  }
}

TEST_F(SandboxTest, OnlyTmpIsWritableAndItsSizeIsTheEphemeralStorage) {
  bootstrap(
      "touch /var/task/x 2>/dev/null || echo task-ro\n"
      "touch /opt/x 2>/dev/null || echo opt-ro\n"
      "touch /x 2>/dev/null || echo root-ro\n"
      "echo ok > /tmp/x && echo tmp-rw\n"
      "dd if=/dev/zero of=/tmp/big bs=1048576 count=3 2>/dev/null || echo tmp-full");
  auto p = plan();
  p.ephemeral_mb = 2;
  auto r = run(p);
  EXPECT_EQ(r.output, "task-ro\nopt-ro\nroot-ro\ntmp-rw\ntmp-full\n");
}

TEST_F(SandboxTest, ExitCodesAndSignalsComeThroughBwrap) {
  bootstrap("exit 3");
  EXPECT_EQ(run(plan()).status.describe(), "exit status 3");
  bootstrap("kill -9 $$");
  EXPECT_EQ(run(plan()).status.describe(), "signal: killed");
}

TEST_F(SandboxTest, MemoryLimitKillsAndPeakIsMeasured) {
  // The shell keeps the whole substitution in memory: well over 32 MB.
  bootstrap("x=$(dd if=/dev/zero bs=1048576 count=200 2>/dev/null | tr '\\0' a); echo survived");
  auto p = plan();
  p.memory_mb = 32;
  auto r = run(p);
  EXPECT_TRUE(r.oom);
  EXPECT_EQ(r.status.describe(), "signal: killed");
  EXPECT_EQ(r.output.find("survived"), std::string::npos);
  EXPECT_GT(r.peak, 16u * 1024 * 1024);
}

TEST_F(SandboxTest, ResidentSetWatchEnforcesTheLimitWithoutACgroup) {
  bootstrap("x=$(dd if=/dev/zero bs=1048576 count=200 2>/dev/null | tr '\\0' a); echo survived");
  auto p = plan();
  p.memory_mb = 32;
  p.memory_watch = sandbox::MemoryWatch::resident_set;
  auto r = run(p);
  EXPECT_TRUE(r.oom);
  EXPECT_EQ(r.status.describe(), "signal: killed");
  EXPECT_GT(r.peak, 32u * 1024 * 1024);
}

TEST_F(SandboxTest, SmallFunctionsPeakIsMeasuredNotTheMemorySize) {
  bootstrap("echo hi");
  auto r = run(plan());
  EXPECT_FALSE(r.oom);
  EXPECT_GT(r.peak, 0u);
  EXPECT_LT(r.peak, 128u * 1024 * 1024);
}

TEST_F(SandboxTest, DirectLauncherRunsTheBootstrapWithTheSameEnvironment) {
  bootstrap("echo $AWS_LAMBDA_FUNCTION_NAME; exit 4");
  auto r = run(plan(), *sandbox::direct_launcher());
  EXPECT_EQ(r.output, "fn\n");
  EXPECT_EQ(r.status.describe(), "exit status 4");
}

TEST_F(SandboxTest, ForeignArchitectureIsRefused) {
  auto p = plan();
  p.architecture = "arm64";
  auto box = sandbox::bwrap_launcher()->start(p);
  ASSERT_FALSE(box.ok());
  EXPECT_EQ(box.error().message, "architecture 'arm64' cannot run on this machine (x86_64)");
}

}  // namespace

namespace layered::sandbox {
namespace {

// A /tmp image an engine was killed while formatting is sparse but of the
// ephemeral storage's apparent size: the next one that makes an image
// removes it, and leaves a live engine's alone.
TEST(TmpImage, WhatAKilledEngineWasFormattingIsRemoved) {
  if (!disk_tmp_supported()) GTEST_SKIP() << "disk-backed /tmp needs root, loop devices and e2fsprogs";
  const auto dir = std::filesystem::temp_directory_path() / ("tmp-image-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const auto stale = dir / ("ext4-64m-empty.img.partial-" + std::to_string(dead) + "-1");
  const auto live = dir / ("ext4-64m-empty.img.partial-" + std::to_string(::getpid()) + "-2");
  std::ofstream(stale) << "x";
  std::ofstream(live) << "x";
  auto fd = tmp_backing_file(dir.string(), 64);
  ASSERT_TRUE(fd.ok()) << format_error(fd.error());
  ::close(*fd);
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(live));
  std::filesystem::remove_all(dir);
}

}  // namespace
// The /tmp image is sparse: on a disk without room for the function's
// EphemeralStorage, the environment does not start (its writes would be
// lost in the loop device, not refused).
TEST(TmpImage, ADiskWithoutRoomForEphemeralStorageIsRefused) {
  if (!disk_tmp_supported()) GTEST_SKIP() << "disk-backed /tmp needs root, loop devices and e2fsprogs";
  const auto dir = std::filesystem::temp_directory_path() / ("tmp-image-small-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ASSERT_EQ(::mount("small", dir.c_str(), "tmpfs", 0, "size=48m"), 0) << std::strerror(errno);
  auto refused = tmp_backing_file(dir.string(), 64);
  auto fits = tmp_backing_file(dir.string(), 16);
  ::umount2(dir.c_str(), MNT_DETACH);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("not enough free disk for the function's /tmp"), std::string::npos)
      << refused.error().message;
  ASSERT_TRUE(fits.ok()) << format_error(fits.error());
  ::close(*fits);
}

// Each image is sparse: what the running environments' functions may still
// write is promised, and the next environment counts it as taken.
TEST(TmpImage, EnvironmentsTogetherNeverPromiseMoreThanTheDiskHolds) {
  if (!disk_tmp_supported()) GTEST_SKIP() << "disk-backed /tmp needs root, loop devices and e2fsprogs";
  const auto dir =
      std::filesystem::temp_directory_path() / ("tmp-image-shared-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ASSERT_EQ(::mount("shared", dir.c_str(), "tmpfs", 0, "size=100m"), 0) << std::strerror(errno);
  auto first = tmp_backing_file(dir.string(), 40);
  auto second = tmp_backing_file(dir.string(), 40);
  auto third = tmp_backing_file(dir.string(), 40);
  for (auto* held : {&first, &second, &third})
    if (held->ok()) ::close(**held);
  ::umount2(dir.c_str(), MNT_DETACH);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(first.ok()) << format_error(first.error());
  ASSERT_TRUE(second.ok()) << format_error(second.error());
  ASSERT_FALSE(third.ok()) << "100 MB cannot hold three 40 MB /tmp";
  EXPECT_NE(third.error().message.find("MB of it promised to the /tmp of running environments"),
            std::string::npos)
      << third.error().message;
}

}  // namespace layered::sandbox
