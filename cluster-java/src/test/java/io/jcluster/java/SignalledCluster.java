package io.jcluster.java;

import io.jcluster.ops.Plugins;
import io.jcluster.Signal;
import io.jcluster.SignalAction;

/**
 * A primary that {@link JavaSignalTest} starts as a process of its own (signal handlers are
 * process-wide): {@link HelloHttpCluster} with one worker, where {@code WINCH} runs a Java lambda
 * that adds a worker, {@code TTOU} does {@link SignalAction#RETIRE_ONE}, and the debug plugin logs
 * each change of the worker count.
 */
public final class SignalledCluster {
    private SignalledCluster() {}

    public static void main(String[] args) {
        HelloHttpCluster.builder(1)
                .mainClass(SignalledCluster.class.getName())
                .onSignal(Signal.WINCH, cluster -> {
                    System.out.println("WINCH from Java: one worker more");
                    cluster.spawn(1);
                })
                .onSignal(Signal.TTOU, SignalAction.RETIRE_ONE)
                .use(Plugins.debug())
                .run();
    }
}
