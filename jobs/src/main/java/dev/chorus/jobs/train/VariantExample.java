package dev.chorus.jobs.train;

import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.Example;

/**
 * A decoded example on its way to one variant of its task: the router emits one per live variant, each referencing
 * the same decoded example (no copy of its features); the trainer is keyed by {@link #key()}. {@code spec} is the
 * variant's spec JSON on a router's first envelope for a variant the control topic set, else null: the router and
 * the trainer read the broadcast independently, so the trainer may meet a new variant's first example before the
 * change itself, and then starts it from this spec. {@code initialModel} comes with the spec when the variant is
 * warm-started ({@link WarmStarts}), else null. {@code generation} is the generation ({@link ModelGenerations}) of
 * the variant as the router routed the example, the control-topic offset of the LIVE change it had applied last for
 * the variant, or {@link #NO_GENERATION} (a {@code --spec} default no record started, or a router restored with
 * none for it): a trainer that has not yet applied that change holds the example until it has
 * ({@link EarlyEnvelopes}).
 */
public record VariantExample(String variant, Sourced<Example> input, String spec, byte[] initialModel,
        long generation) {
    /** The generation of an envelope routed under no control-topic change. */
    public static final long NO_GENERATION = -1;

    public VariantExample(String variant, Sourced<Example> input, String spec) {
        this(variant, input, spec, null, NO_GENERATION);
    }

    public VariantExample(String variant, Sourced<Example> input, String spec, byte[] initialModel) {
        this(variant, input, spec, initialModel, NO_GENERATION);
    }

    /** The example for variant {@code default}, the only one a task trains without the control topic. */
    public static VariantExample ofDefault(Sourced<Example> input) {
        return new VariantExample(dev.chorus.jobs.JobSettings.DEFAULT_VARIANT, input, null);
    }

    public String key() {
        return Variants.key(input.value().getTask(), variant);
    }
}
