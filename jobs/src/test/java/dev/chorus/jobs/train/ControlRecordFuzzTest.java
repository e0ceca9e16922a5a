package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A seeded fuzz of the control topic's records as check-specs reads them, in either wire format: valid records (live
 * specs, searches, retirements, tombstones) interleaved with bit flips, truncations, splices and random bytes of
 * them, and keys lost, garbled or of another variant. check-specs must never throw, must answer every record with a
 * progress marker (the router waits on them), and must dead-letter every record its codec cannot decode: none is
 * silently dropped.
 */
class ControlRecordFuzzTest {

    private static final long SEED = Long.getLong("fuzz.seed", 0xC0_47401L);
    private static final int RECORDS = Integer.getInteger("fuzz.trials", 3000);
    private static final String BASE = SPEC.substring(0, SPEC.lastIndexOf('}'));
    private static final String SEARCH = BASE + ",\"search\":{\"method\":\"successive-halving\",\"variants\":4,"
            + "\"budgetExamples\":60,\"space\":{\"optimizer.learningRate\":{\"logUniform\":[0.001,1.0]}}}}";

    @ParameterizedTest
    @EnumSource(WireFormat.class)
    void everyRecordIsJudgedAndEveryUndecodableOneIsADeadLetter(WireFormat format) throws Exception {
        TrainSettings settings = settings().specsTopic(new Topic<>("chorus.specs", VariantSpecRecord.class, format));
        RecordCodec<VariantSpecRecord> codec = settings.specsTopic().codec();
        Random random = new Random(SEED ^ format.ordinal());
        int undecodable = 0;
        List<String> problems = new ArrayList<>();
        try (var h = CheckSpecsHarness.open(settings)) {
            for (int offset = 0; offset < RECORDS; offset++) {
                String variant = "v" + random.nextInt(6);
                VariantSpecRecord valid = valid(random, variant);
                byte[] value = valid == null ? null : codec.encode(valid);
                byte[] key = ("t/" + variant).getBytes(StandardCharsets.UTF_8);
                switch (random.nextInt(8)) {
                    case 0 -> value = value == null ? null : flipBits(value, random);
                    case 1 -> value = value == null ? null : Arrays.copyOf(value, random.nextInt(value.length));
                    case 2 -> value = value == null ? null : splice(value, codec.encode(donor(random)), random);
                    case 3 -> value = randomBytes(random);
                    case 4 -> key = random.nextBoolean() ? null : randomBytes(random);
                    case 5 -> key = "t/other".getBytes(StandardCharsets.UTF_8);
                    default -> { }
                }
                boolean decodes = value == null || decodes(codec, value);
                if (!decodes) {
                    undecodable++;
                }
                int deadBefore = deadLetters(h);
                int sentBefore = h.sent().size();
                try {
                    h.processElement(new KafkaRecord("chorus.specs", 0, offset, offset, key, value), offset);
                } catch (Throwable e) {
                    problems.add("offset " + offset + ": threw " + e);
                    continue;
                }
                List<String> sent = h.sent().subList(sentBefore, h.sent().size());
                if (sent.isEmpty() || !sent.get(sent.size() - 1).equals("read up to " + offset)) {
                    problems.add("offset " + offset + ": no progress marker after it, sent " + sent);
                }
                if (!decodes && deadLetters(h) != deadBefore + 1) {
                    problems.add("offset " + offset + ": undecodable, yet " + (deadLetters(h) - deadBefore)
                            + " dead letters");
                }
            }
            assertThat(undecodable).as("the fuzz makes undecodable records").isGreaterThan(RECORDS / 10);
            assertThat(h.extractOutputValues()).as("and valid ones change what is live").isNotEmpty();
        }
        assertThat(problems).as("%d of %d records", problems.size(), RECORDS).isEmpty();
    }

    /**
     * Four bytes that Jackson takes for UTF-32 in an unsupported byte order made the JSON codec throw an
     * UncheckedIOException, which check-specs let through: the job restarted on the same record forever.
     */
    @Test
    void aValueJacksonTakesForUtf32IsOneDeadLetterOnAJsonControlTopic() throws Exception {
        TrainSettings settings = settings().specsTopic(new Topic<>("chorus.specs", VariantSpecRecord.class,
                WireFormat.JSON));
        try (var h = CheckSpecsHarness.open(settings)) {
            h.processElement(new KafkaRecord("chorus.specs", 0, 7, 7, "t/v".getBytes(StandardCharsets.UTF_8),
                    new byte[] {0, 0, (byte) 0xFF, (byte) 0xFE}), 7);

            assertThat(h.sent()).containsExactly("read up to 7");
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).singleElement().satisfies(d -> {
                assertThat(d.getValue().getField()).isNull();
                assertThat(d.getValue().getOffset()).isEqualTo(7);
                assertThat(d.getValue().getReason()).startsWith("undecodable record: not valid JSON: expected UTF-8 "
                        + "JSON text, got byte 00 at offset 0");
            });
        }
    }

    /** A valid record of {@code variant}: live, a search, retired, or a tombstone (null). */
    private static VariantSpecRecord valid(Random random, String variant) {
        int kind = random.nextInt(6);
        if (kind == 5) {
            return null;
        }
        VariantSpecRecord.Builder b = VariantSpecRecord.newBuilder().setTask("t").setVariant(variant)
                .setUpdatedAt(random.nextLong()).setSource("fuzz");
        return switch (kind) {
            case 0, 1 -> b.setStatus(VariantStatus.LIVE).setSpec(SPEC.replace("0.05", "0.0" + (1 + random.nextInt(9))))
                    .build();
            case 2 -> b.setStatus(VariantStatus.LIVE).setSpec(SEARCH).build();
            case 3 -> b.setStatus(VariantStatus.LIVE).setSpec(VariantSpecs.revived(SPEC)).build();
            default -> b.setStatus(VariantStatus.RETIRED).setSpec(null).setReason("fuzz").build();
        };
    }

    /** A valid record that is not a tombstone, to splice from. */
    private static VariantSpecRecord donor(Random random) {
        VariantSpecRecord donor = valid(random, "s");
        return donor != null ? donor : donor(random);
    }

    private static boolean decodes(RecordCodec<VariantSpecRecord> codec, byte[] value) {
        try {
            codec.decode(value);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static int deadLetters(CheckSpecsHarness h) {
        var dead = h.getSideOutput(SpecControl.DEAD_LETTERS);
        return dead == null ? 0 : dead.size();
    }

    private static byte[] flipBits(byte[] bytes, Random random) {
        byte[] flipped = bytes.clone();
        for (int k = 1 + random.nextInt(8); k > 0 && flipped.length > 0; k--) {
            flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return flipped;
    }

    private static byte[] splice(byte[] a, byte[] b, Random random) {
        int cut = random.nextInt(a.length + 1);
        byte[] out = Arrays.copyOf(a, cut + b.length - Math.min(b.length, cut));
        System.arraycopy(b, Math.min(b.length, cut), out, cut, b.length - Math.min(b.length, cut));
        return out;
    }

    private static byte[] randomBytes(Random random) {
        byte[] bytes = new byte[random.nextInt(64)];
        random.nextBytes(bytes);
        return bytes;
    }
}
