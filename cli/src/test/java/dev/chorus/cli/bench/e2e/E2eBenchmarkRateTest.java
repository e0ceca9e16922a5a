package dev.chorus.cli.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** The steady-window arithmetic behind every examples/s figure of {@code bench e2e}. */
class E2eBenchmarkRateTest {

    private static final byte[] PREDICTION = WireFormat.AVRO.codec(Prediction.class).encode(Prediction.newBuilder()
            .setId("x-1").setTask("t").setVariant("default").setModelVersion(1).setPredictedClass(1)
            .setProbabilities(Float32.pack(new float[] {0.2f, 0.8f})).setLabel(1).setEventTime(1)
            .setProducedAt(1_000).build());

    /** {@code count} predictions, the i-th appended by the broker at {@code firstAppend + i * stepMs}. */
    private static PredictionClock appended(int count, long firstAppend, long stepMs) {
        PredictionClock clock = new PredictionClock(WireFormat.AVRO.codec(Prediction.class), count);
        for (int i = 0; i < count; i++) {
            clock.accept(new ConsumerRecord<>("p", i % 2, i / 2, firstAppend + i * stepMs,
                    TimestampType.LOG_APPEND_TIME, 0, PREDICTION.length, new byte[0], PREDICTION, new RecordHeaders(),
                    Optional.empty()));
        }
        return clock;
    }

    private static double rate(PredictionClock clock, long end) {
        Map<String, Object> figures =
                SteadyRate.rateFigures(clock, end, clock.count(), new JobRun(0, 5_000, 0), 1.0);
        return SteadyRate.EXAMPLES_PER_S.applyAsDouble(figures);
    }

    @Test
    void steadyRateCountsThePredictionsFromTheQuarterMarkToTheEnd() {
        // 100 predictions 1 ms apart from t=1000: the 25th (appended at 1025) opens the window, 75 are in it.
        assertThat(rate(appended(100, 1_000, 1), 1_099)).isCloseTo(75 / 0.074, within(1e-6));
    }

    @Test
    void anEndBeforeTheQuarterMarkIsNeverANegativeRate() {
        // A train line's end is its final snapshot's arrival; on a short at-least-once run it can come before the
        // predictions' producer has appended them (BenchE2eIT once reported softmax.p1 at -57,692 examples/s).
        // The line's work ends no earlier than its last prediction's append: 75 predictions over 1025..1099.
        assertThat(rate(appended(100, 1_000, 1), 1_010)).isCloseTo(75 / 0.074, within(1e-6));
    }

    @Test
    void aWindowShorterThanTheTimestampsResolutionCountsAsOneMillisecond() {
        // Every prediction appended in the same millisecond: a run too short to have a steady part.
        PredictionClock sameTick = appended(3_000, 2_000, 0);
        assertThat(rate(sameTick, 2_000)).isEqualTo(2_250 / 0.001);
        assertThat(rate(sameTick, 1_500)).isEqualTo(2_250 / 0.001);
        // One prediction: it is its own quarter mark and its own end.
        assertThat(rate(appended(1, 2_000, 0), 2_000)).isEqualTo(1 / 0.001);
    }

    @Test
    void theRateFromTheFirstPredictionIsNeverNegativeOrInfinite() {
        // The first prediction was made at 1000 (producedAt); the end given is before that.
        Map<String, Object> figures = SteadyRate.rateFigures(appended(4, 1_000, 0), 900, 4,
                new JobRun(0, 5_000, 0), 1.0);
        assertThat((Double) figures.get("examples_per_s_from_first")).isEqualTo(4 / 0.001);
        assertThat((Double) figures.get("seconds")).isEqualTo(0.001);
    }

    @Test
    void rawConsumeRateIsTakenFromTheArrivalOfTheQuarterMarkRecord() {
        // Records arrive in polls; one poll that carries both the quarter mark and the last record leaves an
        // empty window, counted as one millisecond.
        assertThat(SteadyRate.ofArrivals(new long[] {5_000_000, 5_000_000, 5_000_000, 5_000_000}).get("examples_per_s"))
                .isEqualTo(3 / 0.001);
        // Four records, one a millisecond (in nanoseconds): the second opens the window, three arrive over 2 ms.
        assertThat(SteadyRate.ofArrivals(new long[] {1_000_000, 2_000_000, 3_000_000, 4_000_000}).get("examples_per_s"))
                .isEqualTo(3 / 0.002);
    }
}
