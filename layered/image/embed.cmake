# Turns the JSON data file into a C++ source with one string constant.
file(READ ${INPUT} content)
file(WRITE ${OUTPUT} "// Generated from ${INPUT}; do not edit.\nnamespace layered::image { extern const char* const kBaseImagesJson; const char* const kBaseImagesJson = R\"LAYEREDJSON(${content})LAYEREDJSON\"; }\n")
