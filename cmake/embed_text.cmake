# Turns a text file into a C++ source defining one string constant:
# cmake -DINPUT=file -DOUTPUT=file.cpp -DNAMESPACE=ns -DNAME=kName -P embed_text.cmake
file(READ ${INPUT} content)
file(WRITE ${OUTPUT} "// Generated from ${INPUT}; do not edit.\nnamespace ${NAMESPACE} { extern const char* const ${NAME}; const char* const ${NAME} = R\"LAYEREDTEXT(${content})LAYEREDTEXT\"; }\n")
