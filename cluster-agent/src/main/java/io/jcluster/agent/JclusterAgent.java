package io.jcluster.agent;

import java.lang.instrument.Instrumentation;
import java.util.Map;

/**
 * The agent's entry point ({@code -javaagent:jcluster-agent.jar[=options]}). In a worker (the primary
 * set {@code JCLUSTER_WORKER_ID}) it connects to the primary and makes the app's listeners the
 * cluster's. Anywhere else this JVM becomes the primary: it never runs the app's {@code main}, and
 * forks workers that run the same command line.
 */
public final class JclusterAgent {
    private JclusterAgent() {
    }

    /** Called by the JVM before the app's {@code main}. */
    public static void premain(String options, Instrumentation inst) {
        long start = System.nanoTime();
        Map<String, String> env = System.getenv();
        if (env.get("JCLUSTER_WORKER_ID") == null && env.get("CLUSTER_WORKER") == null) {
            PrimaryMode.run(options, inst);
            return;
        }
        boolean timing = Boolean.getBoolean("jcluster.agent.timing"); // start-up figures (docs/run.md)
        try {
            Instrumenter.install(inst);
            Instrumenter.prepareInBackground(inst, timing);
        } catch (Exception | LinkageError e) {
            System.err.println("jcluster agent: this worker cannot take the app's listeners: " + e);
            System.exit(WorkerAgent.EXIT_PRIMARY_GONE);
        }
        WorkerAgent.joinInBackground(env, timing);
        // println, not printf: a Formatter loads locale data, tens of ms before the app's main.
        if (timing) System.err.println("jcluster agent: premain in " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    /** {@code java -jar jcluster-agent.jar [options] -- JAVA_ARGS...}: the primary, as {@code jcluster run}. */
    public static void main(String[] args) {
        PrimaryMode.launch(args, null);
    }

    /** Loaded into a running JVM: the same as {@link #premain}. */
    public static void agentmain(String options, Instrumentation inst) {
        premain(options, inst);
    }
}
