# Sourced by bin/* and bench/run: module_jar DIR NAME prints DIR/target/NAME-<version>.jar, the module's
# main jar whatever the version (the root pom's `revision`), and fails if it is not built yet.
module_jar() {
  local jar
  for jar in "$1"/target/"$2"-*.jar; do
    case "$jar" in *-sources.jar|*-javadoc.jar|*-tests.jar) continue ;; esac
    [ -f "$jar" ] && { echo "$jar"; return 0; }
  done
  echo "not built yet: run ./mvnw -B -ntp -q package -DskipTests first" >&2
  return 1
}
