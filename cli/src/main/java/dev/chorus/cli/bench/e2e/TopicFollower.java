package dev.chorus.cli.bench.e2e;

import dev.chorus.jobs.kafka.TopicReader;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Follows a topic from its beginning in a thread of its own, handing every record to a sink. */
final class TopicFollower implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    TopicFollower(String bootstrap, String topic, Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        thread = new Thread(() -> TopicReader.followRecords(bootstrap, Map.of(), topic, sink,
                () -> !running.get()), "e2e-follow-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join();
    }
}
