package io.jcluster.agent;

import java.util.ArrayList;
import java.util.List;

/**
 * The agent's options ({@code -javaagent:jcluster-agent.jar=workers=4,strategy=shared}) as the
 * launcher's own arguments ({@code --workers 4 --strategy shared}): one parser, the launcher's, checks
 * them all, so the two forms take the same options and give the same errors.
 */
final class AgentOptions {
    private AgentOptions() {
    }

    /** The launcher arguments for {@code options} (null or empty: none). */
    static List<String> toLauncherArguments(String options) {
        List<String> args = new ArrayList<>();
        if (options == null || options.isBlank()) return args;
        for (String option : options.split(",")) {
            int equals = option.indexOf('=');
            if (equals <= 0 || equals == option.length() - 1) {
                throw new IllegalArgumentException("malformed agent option '" + option + "' in '" + options
                    + "': write name=value pairs separated by commas, for example -javaagent:jcluster-agent.jar=workers=4,strategy=shared");
            }
            args.add("--" + option.substring(0, equals).trim());
            args.add(option.substring(equals + 1).trim());
        }
        return args;
    }
}
