// AWS_LAMBDA_EXEC_WRAPPER of a managed runtime: a wrapper Lambda's
// bootstrap cannot start fails every invoke with Runtime.ExitError.
#include "doctor/package_test_util.hpp"

namespace layered::doctor {
namespace {

class WrapperTest : public PackageTest {
 protected:
  void SetUp() override {
    write("w/ok", "#!/bin/sh\nexec \"$@\"\n");
    executable("w/ok");
    write("w/noexec", "#!/bin/sh\nexec \"$@\"\n");
    write("w/crlf", "#!/bin/sh\r\nexec \"$@\"\r\n");
    executable("w/crlf");
    write("w/adir/.keep", "");
    write("function/app.py", "def handler(e, c):\n    return 1\n");
    write("function/wrap.sh", "#!/bin/sh\nexec \"$@\"\n");
    executable("function/wrap.sh");
  }

  void executable(const fs::path& rel) {
    fs::permissions(root() / rel, fs::perms::owner_exec, fs::perm_options::add);
  }

  Report with_wrapper(const std::string& value, const std::string& runtime = "python3.11") {
    model::Function p = package({"w"}, runtime, "app.handler");
    p.environment = {{"AWS_LAMBDA_EXEC_WRAPPER", value}};
    return run(p);
  }
};

TEST_F(WrapperTest, AWrapperThatStartsIsFine) {
  EXPECT_EQ(codes(with_wrapper("/opt/ok")), "");
  EXPECT_EQ(codes(with_wrapper("wrap.sh")), "");  // from the bootstrap's directory, /var/task
  EXPECT_EQ(codes(with_wrapper("./wrap.sh")), "");
  EXPECT_EQ(codes(with_wrapper("/bin/sh")), "");  // the image's
}

TEST_F(WrapperTest, AMissingWrapperFailsEveryInvoke) {
  auto r = with_wrapper("/opt/nosuch");
  auto f = with(r, "wrapper.missing");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].severity, Severity::error);
  EXPECT_EQ(f[0].file, "/opt/nosuch");
  EXPECT_EQ(
      f[0].message,
      "AWS_LAMBDA_EXEC_WRAPPER is '/opt/nosuch', but no layer nor the function has /opt/nosuch, so "
      "Lambda's bootstrap prints '/opt/nosuch: does not exist' and exits 127 before the runtime starts: "
      "every invoke fails with Runtime.ExitError");
  EXPECT_EQ(f[0].fix,
            "set AWS_LAMBDA_EXEC_WRAPPER to the path of an executable script: a layer's file 'x' is /opt/x, "
            "the function's is /var/task/x");
  EXPECT_EQ(codes(with_wrapper("./nosuch.sh")), "wrapper.missing /var/task/nosuch.sh\n");
  // OS-only runtimes do not read the variable.
  EXPECT_TRUE(with(with_wrapper("/opt/nosuch", "provided.al2023"), "wrapper.missing").empty());
}

TEST_F(WrapperTest, ADirectoryIsNotAWrapper) {
  auto f = with(with_wrapper("/opt/adir"), "wrapper.missing");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::error);
  EXPECT_EQ(f[0].message,
            "AWS_LAMBDA_EXEC_WRAPPER is '/opt/adir', which is a directory, not a file, so Lambda's bootstrap "
            "prints '/opt/adir: does not exist' and exits 127 before the runtime starts: every invoke fails "
            "with Runtime.ExitError");
}

TEST_F(WrapperTest, AWrapperThatIsNotExecutableFailsEveryInvoke) {
  auto r = with_wrapper("/opt/noexec", "nodejs20.x");
  auto f = with(r, "wrapper.not-executable");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].severity, Severity::error);
  EXPECT_EQ(f[0].source, "layer 'w'");
  EXPECT_EQ(f[0].message,
            "is the AWS_LAMBDA_EXEC_WRAPPER script, but it is not executable, so Lambda's bootstrap prints "
            "'/opt/noexec: is not an executable' and exits 126 before the runtime starts: every invoke fails "
            "with Runtime.ExitError");
  EXPECT_EQ(f[0].fix, "chmod +x noexec before zipping (zip keeps the mode)");
}

TEST_F(WrapperTest, ACrlfScriptFailsEveryInvoke) {
  auto r = with_wrapper("/opt/crlf");
  EXPECT_EQ(codes(r), "wrapper.crlf /opt/crlf\n");
  auto f = with(r, "wrapper.crlf");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::error);
  EXPECT_EQ(f[0].message,
            "is the AWS_LAMBDA_EXEC_WRAPPER script, but it has Windows (CRLF) line endings, so the kernel "
            "looks for the interpreter '/bin/sh\\r', which does not exist: Lambda's bootstrap cannot start "
            "the wrapper (bash: 'bad interpreter' or 'required file not found'), the runtime never starts, "
            "and every invoke fails with Runtime.ExitError");
  EXPECT_EQ(f[0].fix,
            "convert it to LF line endings (dos2unix crlf) and keep it LF (.gitattributes: crlf eol=lf)");
}

}  // namespace
}  // namespace layered::doctor
