# Packaging for what ships to Lambda: layers and functions laid out exactly as
# Lambda extracts them (a layer's top level becomes /opt, a function's becomes
# /var/task), under ${LAMBDA_PACKAGE_DIR}/{layers,functions}/<name>/.
# scripts/build.sh copies those trees to build/{layers,functions}/ and zips them.
#
#   add_lambda_layer(NAME <name> [LIBRARIES <targets>...] [PACKAGES_FILE <file>])
#   add_lambda_function(NAME <name> MAIN <main.cpp> [SOURCES <handler sources>...]
#                       [LIBRARIES <libs>...] [FILES <data files>...]
#                       [TESTS <gtest sources>...])
#
# A function binary is its own `bootstrap`: no shell in the start path. It
# starts through the loader the external layer ships (PT_INTERP
# /opt/lib/ld-linux-x86-64.so.2) and finds its libraries through DT_RPATH
# /opt/lib, which, unlike RUNPATH, is searched before LD_LIBRARY_PATH (whose
# order on Lambda puts the base image's /lib64 first). So the bundled glibc and
# libstdc++ are used, not the image's older ones.

set(LAMBDA_PACKAGE_DIR ${CMAKE_BINARY_DIR}/lambda CACHE PATH "Where packaged Lambda layers and functions are laid out")
set(LAMBDA_OPT_LIB /opt/lib)
set(LAMBDA_LOADER ${LAMBDA_OPT_LIB}/ld-linux-x86-64.so.2)
set(_lambda_collect ${CMAKE_CURRENT_LIST_DIR}/lambda_collect_packages.sh)

if(CMAKE_CXX_FLAGS MATCHES "-fsanitize" OR CMAKE_EXE_LINKER_FLAGS MATCHES "-fsanitize")
  message(FATAL_ERROR "what ships to Lambda is never built with sanitizers: remove -fsanitize from CMAKE_CXX_FLAGS "
                      "(use layered_sanitize() on test targets instead)")
endif()

if(NOT TARGET lambda-packages)
  add_custom_target(lambda-packages ALL)
endif()

# Records "<kind> <name>" so the manifest lists exactly this configuration's
# packages (a stale tree from a removed function is never shipped).
function(_lambda_register kind name)
  set_property(GLOBAL APPEND PROPERTY LAMBDA_PACKAGES "${kind} ${name}")
endfunction()

function(_lambda_write_manifest)
  get_property(entries GLOBAL PROPERTY LAMBDA_PACKAGES)
  list(JOIN entries "\n" text)
  file(CONFIGURE OUTPUT ${LAMBDA_PACKAGE_DIR}/manifest.txt CONTENT "${text}\n")
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _lambda_write_manifest)

function(add_lambda_layer)
  cmake_parse_arguments(ARG "" "NAME;PACKAGES_FILE" "LIBRARIES" ${ARGN})
  if(NOT ARG_NAME OR (NOT ARG_LIBRARIES AND NOT ARG_PACKAGES_FILE))
    message(FATAL_ERROR "add_lambda_layer: give NAME and at least one of LIBRARIES or PACKAGES_FILE")
  endif()
  set(dir ${LAMBDA_PACKAGE_DIR}/layers/${ARG_NAME})
  set(stamp ${CMAKE_CURRENT_BINARY_DIR}/lambda-layer-${ARG_NAME}.stamp)
  set(commands COMMAND ${CMAKE_COMMAND} -E rm -rf ${dir} COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}/lib)
  set(depends)
  if(ARG_PACKAGES_FILE)
    get_filename_component(packages ${ARG_PACKAGES_FILE} ABSOLUTE)
    list(APPEND commands COMMAND ${_lambda_collect} ${packages} ${dir}/lib)
    list(APPEND depends ${packages} ${_lambda_collect})
  endif()
  foreach(lib ${ARG_LIBRARIES})
    set(dest ${dir}/lib/$<TARGET_SONAME_FILE_NAME:${lib}>)
    list(APPEND commands COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:${lib}> ${dest}
         COMMAND ${CMAKE_STRIP} --strip-unneeded ${dest})
    list(APPEND depends ${lib})
  endforeach()
  add_custom_command(OUTPUT ${stamp} ${commands} COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
                     DEPENDS ${depends} COMMENT "Packaging Lambda layer '${ARG_NAME}' in ${dir}" VERBATIM)
  add_custom_target(package-${ARG_NAME} ALL DEPENDS ${stamp})
  add_dependencies(lambda-packages package-${ARG_NAME})
  _lambda_register(layer ${ARG_NAME})
endfunction()

function(add_lambda_function)
  cmake_parse_arguments(ARG "" "NAME;MAIN" "SOURCES;LIBRARIES;FILES;TESTS" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_MAIN)
    message(FATAL_ERROR "add_lambda_function: give NAME and MAIN")
  endif()
  set(name ${ARG_NAME})
  add_executable(${name} ${ARG_MAIN} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES})
  layered_warnings(${name})
  # Small and never instrumented, whatever the build type: this is what ships.
  target_compile_options(${name} PRIVATE -Os -ffunction-sections -fdata-sections)
  target_link_options(${name} PRIVATE -Wl,--dynamic-linker=${LAMBDA_LOADER} -Wl,--disable-new-dtags
                      -Wl,-rpath,${LAMBDA_OPT_LIB} -Wl,--gc-sections -Wl,--as-needed)
  set_target_properties(${name} PROPERTIES SKIP_BUILD_RPATH ON)

  set(dir ${LAMBDA_PACKAGE_DIR}/functions/${name})
  set(stamp ${CMAKE_CURRENT_BINARY_DIR}/lambda-function-${name}.stamp)
  set(files)
  foreach(file ${ARG_FILES})
    get_filename_component(file ${file} ABSOLUTE)
    list(APPEND files ${file})
  endforeach()
  set(copy_files)
  if(files)
    set(copy_files COMMAND ${CMAKE_COMMAND} -E copy ${files} ${dir}/)
  endif()
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${dir}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:${name}> ${dir}/bootstrap
    COMMAND ${CMAKE_STRIP} --strip-all ${dir}/bootstrap
    ${copy_files}
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${name} ${files}
    COMMENT "Packaging Lambda function '${name}' in ${dir}"
    VERBATIM)
  add_custom_target(package-${name} ALL DEPENDS ${stamp})
  add_dependencies(lambda-packages package-${name})
  _lambda_register(function ${name})

  if(BUILD_TESTING AND ARG_TESTS)
    _lambda_handler_test(${name}_test SOURCES ${ARG_TESTS} ${ARG_SOURCES} LIBRARIES ${ARG_LIBRARIES})
  endif()
endfunction()

# The handler's unit tests: the handler sources compiled again, sanitized
# (only tests ever are), with the test's source directory in
# LAMBDA_FUNCTION_SOURCE_DIR for data files.
function(_lambda_handler_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES} GTest::gtest GTest::gtest_main)
  layered_warnings(${name})
  layered_sanitize(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "LAMBDA_FUNCTION_SOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}")
endfunction()
