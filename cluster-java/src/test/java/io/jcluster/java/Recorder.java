package io.jcluster.java;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Everything a listener (or a {@link Flow.Subscriber}) was given, in order, and a way to wait for one
 * of them: the tests synchronize on events, never on sleeps (JUnit's {@code @Timeout} bounds the wait).
 */
final class Recorder<T> implements Consumer<T>, Flow.Subscriber<T> {
    private final List<T> seen = new ArrayList<>();

    @Override
    public synchronized void accept(T item) {
        seen.add(item);
        notifyAll();
    }

    synchronized List<T> all() {
        return List.copyOf(seen);
    }

    /** The elements of {@code type} so far, in order. */
    synchronized <E extends T> List<E> all(Class<E> type) {
        return seen.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Waits for the first element (already seen or still to come) of {@code type} that passes {@code test}. */
    synchronized <E extends T> E await(Class<E> type, Predicate<? super E> test) throws InterruptedException {
        for (int i = 0; ; i++) {
            while (i >= seen.size()) wait();
            T item = seen.get(i);
            if (type.isInstance(item) && test.test(type.cast(item))) return type.cast(item);
        }
    }

    <E extends T> E await(Class<E> type) throws InterruptedException {
        return await(type, any -> true);
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(T item) {
        accept(item);
    }

    @Override
    public void onError(Throwable error) {
        throw new AssertionError("the publisher failed", error);
    }

    @Override
    public void onComplete() {}
}
