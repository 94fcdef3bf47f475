# `cmake --install` rules for the C++ library: the static library, the public
# headers and a CMake package, so that another project can write
#   find_package(Tandem REQUIRED)        (or find_package(tandem ...))
#   target_link_libraries(app PRIVATE Tandem::tandem)
# Everything here is in the install component "cpp", so that
# `cmake --install build --component cpp` skips the Python module.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TANDEM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/tandem)

install(TARGETS tandem EXPORT tandem-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT cpp
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT cpp)
# The headers keep their tandem/... paths. The backends' headers are internal:
# no public header includes them.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/tandem/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tandem
        COMPONENT cpp FILES_MATCHING PATTERN "*.h" PATTERN "backend" EXCLUDE)
install(EXPORT tandem-targets NAMESPACE Tandem:: DESTINATION ${TANDEM_INSTALL_CMAKEDIR}
        COMPONENT cpp)

# The file name tandem-config.cmake is the one both find_package(Tandem) and
# find_package(tandem) look for.
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tandem-config.cmake.in
                              ${PROJECT_BINARY_DIR}/tandem-config.cmake
                              INSTALL_DESTINATION ${TANDEM_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tandem-config-version.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tandem-config.cmake
              ${PROJECT_BINARY_DIR}/tandem-config-version.cmake
        DESTINATION ${TANDEM_INSTALL_CMAKEDIR} COMPONENT cpp)
