package dev.chorus.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.codec.WireFormat;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A send the client gives up on is reported, not let go: here no broker answers, so the producer times out. */
class ExampleProducerTest {

    @Test
    void aSendThatFailsIsThrownByTheFlushAfterIt() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0)) {
            port = closed.getLocalPort();
        }
        Topic<Example> topic = new Topic<>("examples", Example.class, WireFormat.AVRO);
        Example example = Example.newBuilder().setId("e-1").setTask("t").setFeatures(Float32.pack(new float[] {1f}, 0, 1))
                .setLabel(0).setEventTime(1).build();
        try (ExampleProducer producer = new ExampleProducer("127.0.0.1:" + port,
                Map.of("max.block.ms", "300", "delivery.timeout.ms", "400", "request.timeout.ms", "300"))) {
            producer.send(topic, example);
            assertThatIllegalStateException().isThrownBy(producer::flush)
                    .withMessageStartingWith("example e-1 was not written to topic examples: ");
        }
    }
}
