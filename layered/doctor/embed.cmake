# Turns python-stdlib.json into a C++ source with one string constant.
file(READ ${INPUT} content)
file(WRITE ${OUTPUT} "// Generated from ${INPUT}; do not edit.\nnamespace layered::doctor { extern const char* const kPythonStdlibJson; const char* const kPythonStdlibJson = R\"LAYEREDJSON(${content})LAYEREDJSON\"; }\n")
