package dev.chorus.cli.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The start of a command line for a benchmark's child JVM: this JVM's java, module flags, logging set-up and class
 * path. A benchmark runs a line in a child when what it measures is chosen once per JVM (the BLAS backend, the
 * native library).
 */
public final class ChildJvm {

  /** System properties the child takes from this JVM: logging set-up. */
  private static final List<String> INHERITED_PROPERTIES = List.of("log4j2.configurationFile",
      "java.util.logging.manager", "chorus.log.dir");

  private ChildJvm() {}

  /**
   * {@code java <module flags> <inherited -D> <properties as -D> -cp <this class path> mainClass args...}.
   */
  public static List<String> command(Map<String, String> properties, Class<?> mainClass, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(moduleFlags(ManagementFactory.getRuntimeMXBean().getInputArguments()));
    for (String property : INHERITED_PROPERTIES) {
      if (System.getProperty(property) != null) {
        command.add("-D" + property + "=" + System.getProperty(property));
      }
    }
    properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
    command.addAll(args);
    return command;
  }

  /** The {@code --add-opens}, {@code --add-exports} and {@code --add-modules} flags among {@code jvmArgs}. */
  public static List<String> moduleFlags(List<String> jvmArgs) {
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < jvmArgs.size(); i++) {
      String arg = jvmArgs.get(i);
      for (String flag : List.of("--add-opens", "--add-exports", "--add-modules")) {
        if (arg.startsWith(flag + "=")) {
          flags.add(arg);
        } else if (arg.equals(flag) && i + 1 < jvmArgs.size()) {
          flags.add(arg);
          flags.add(jvmArgs.get(++i));
        }
      }
    }
    return flags;
  }
}
