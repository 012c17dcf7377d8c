# Unit tests of the Python example's functions and layers, run by the
# functions' own Python version with site disabled (-S): the only third-party
# packages they can import are the layers', as on Lambda, where /opt/python is
# on sys.path and this machine's site-packages/dist-packages are not.
#
#   add_python_unittest(NAME <test> DIR <folder of test_*.py>)
#
# The external layer is what scripts/build.sh wrote to
# build/layers/python-external/python; pythonutils is used from its sources.

set(LAMBDA_PYTHON_VERSION 3.11 CACHE STRING "Python version of the Python example's functions (their runtime)")
find_program(LAMBDA_PYTHON NAMES python${LAMBDA_PYTHON_VERSION}
             DOC "Python ${LAMBDA_PYTHON_VERSION}, to run the Python example's unit tests")
set(LAMBDA_PYTHON_EXTERNAL_LAYER ${PROJECT_SOURCE_DIR}/build/layers/python-external/python)
set(LAMBDA_PYTHON_PATH ${LAMBDA_PYTHON_EXTERNAL_LAYER}:${PROJECT_SOURCE_DIR}/layers/pythonutils/python)

function(add_python_unittest)
  cmake_parse_arguments(ARG "" "NAME;DIR" "" ${ARGN})
  if(NOT BUILD_TESTING)
    return()
  endif()
  if(NOT LAMBDA_PYTHON)
    message(STATUS "python${LAMBDA_PYTHON_VERSION} not found: test '${ARG_NAME}' is not registered")
    return()
  endif()
  get_filename_component(dir ${ARG_DIR} ABSOLUTE)
  add_test(NAME ${ARG_NAME}
    COMMAND bash -c "test -d \"$0\" || { echo \"'$0' is missing: run scripts/build.sh first\"; exit 1; }; exec \"$@\""
            ${LAMBDA_PYTHON_EXTERNAL_LAYER} ${LAMBDA_PYTHON} -S -m unittest discover -v -s ${dir} -t ${dir})
  set_tests_properties(${ARG_NAME} PROPERTIES
    ENVIRONMENT "PYTHONPATH=${LAMBDA_PYTHON_PATH};PYTHON_EXTERNAL_LAYER=${LAMBDA_PYTHON_EXTERNAL_LAYER};PYTHONDONTWRITEBYTECODE=1"
    TIMEOUT 120)
endfunction()
