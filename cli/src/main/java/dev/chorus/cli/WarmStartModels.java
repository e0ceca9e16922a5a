package dev.chorus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.core.select.WarmStart;
import dev.chorus.jobs.train.WarmStarts;
import dev.chorus.schemas.ModelSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Where {@code chorus specs put} gets a warm start's model: a model file ({@code chorus fit}'s), or the latest
 * snapshot of the variant it forks, read from the models topic and, if it travels in chunks, reassembled and checked
 * against its manifest's SHA-256.
 */
final class WarmStartModels {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a reader of the models topic says when a task/variant has no snapshot yet: when one comes. */
    static final String UNTIL_PUBLISHED = "the train job publishes a variant's model every --snapshot-every-batches "
            + "minibatches (default 50) and, when it changed, every --snapshot-interval-ms (default 30 s); try again "
            + "then (chorus models lists the snapshots)";

    private WarmStartModels() {}

    /**
     * The spec with a {@code warmStart} key from {@code file} or {@code forkFrom} (one of them, or neither: the spec
     * as it is), optimizer {@code optimizer} ({@code --warm-start-optimizer}; null when not given: carry); a spec that
     * has one already must name the same source, and, when {@code optimizer} is given, the same optimizer or none
     * (then it takes {@code optimizer}).
     *
     * @throws IllegalArgumentException if they disagree, or {@code optimizer} comes without a source to apply to
     */
    static String withWarmStart(String spec, Path file, String forkFrom, String optimizer) {
        if (file == null && forkFrom == null) {
            if (optimizer != null) {
                throw new IllegalArgumentException("--warm-start-optimizer " + optimizer + ": expected it with "
                        + "--warm-start-file or --fork-from, which it applies to; got neither");
            }
            return spec;
        }
        String from = file != null ? "file:" + file : "variant:" + forkFrom;
        try {
            JsonNode root = JSON.readTree(spec);
            if (!(root instanceof ObjectNode object)) {
                return spec; // VariantSpec.parse says what is wrong with it
            }
            JsonNode present = object.get(VariantSpec.WARM_START);
            if (present != null) {
                String named = present.path("from").asText();
                if (!named.equals(from)) {
                    throw new IllegalArgumentException("the spec's warmStart is from \"" + named + "\", the options say \""
                            + from + "\": give one of the two");
                }
                if (optimizer == null) {
                    return spec;
                }
                JsonNode said = present.get("optimizer");
                if (said != null && !said.asText().equals(optimizer)) {
                    throw new IllegalArgumentException("the spec's warmStart says optimizer \"" + said.asText()
                            + "\", --warm-start-optimizer says \"" + optimizer + "\": give one of the two");
                }
                if (said != null || !(present instanceof ObjectNode warmStart)) {
                    return spec; // the same optimizer, or a warmStart VariantSpec.parse refuses
                }
                warmStart.put("optimizer", optimizer);
                return JSON.writeValueAsString(object);
            }
            object.putObject(VariantSpec.WARM_START).put("from", from).put("optimizer",
                    optimizer == null ? "carry" : optimizer);
            return JSON.writeValueAsString(object);
        } catch (IOException e) {
            return spec; // not JSON: VariantSpec.parse says where
        }
    }

    /** The model {@code warmStart} names: the file's bytes, or variant's latest snapshot of {@code task}. */
    static byte[] read(WarmStart warmStart, String task, KafkaOptions kafka, String modelsTopic) {
        if (warmStart.fromFile() != null) {
            Path file = Path.of(warmStart.fromFile());
            try {
                long size = Files.size(file);
                if (size > WarmStarts.MAX_MODEL_BYTES) {
                    throw new IllegalArgumentException(file + ": expected a model file of at most "
                            + WarmStarts.MAX_MODEL_BYTES + " bytes (a control record carries it whole), got " + size);
                }
                return Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                throw new UncheckedIOException("cannot read the model file " + file + ": no such file", e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the model file " + file + ": " + e.getMessage(), e);
            }
        }
        kafka.requireReachable(modelsTopic);
        String variant = warmStart.fromVariant();
        return latest(LiveModels.read(kafka, modelsTopic, task, variant, LiveModels.Keep.PARAMETERS), task, variant,
                modelsTopic);
    }

    /** {@link #latest(LiveModels, String, String, String)} among {@code records} of a models topic, in offset order. */
    static byte[] latest(List<ConsumerRecord<byte[], byte[]>> records, String task, String variant,
            String modelsTopic) {
        return latest(LiveModels.of(records, task, variant, LiveModels.Keep.PARAMETERS), task, variant, modelsTopic);
    }

    /**
     * The parameters of the newest snapshot of {@code task/variant} on a models topic, after the key's last tombstone
     * (a reset or revived variant's fresh model, not the old one's higher versions).
     */
    private static byte[] latest(LiveModels live, String task, String variant, String modelsTopic) {
        ModelSnapshot newest = live.newest().get(task + "/" + variant);
        if (newest == null) {
            throw new IllegalArgumentException("no snapshot of " + task + "/" + variant + " on " + modelsTopic
                    + " to fork yet: " + UNTIL_PUBLISHED);
        }
        return live.parameters(newest, task + "/" + variant + " version " + newest.getVersion() + " on " + modelsTopic);
    }
}
