package dev.chorus.jobs.train;

import java.util.Objects;

/**
 * An accepted change of the control topic, broadcast to every router and trainer: variant {@code variant} of
 * {@code task} now trains {@code spec} (JSON), or, when {@code spec} is null, is retired. A Flink POJO.
 * {@code initialModel} is the saved model a warm-started variant starts from ({@link WarmStarts}), else null: the
 * payload of its creation, not part of what the variant is, so equality leaves it out. {@code generation} is the
 * control topic's offset of the record that caused the change (null for a {@code --spec} default): a LIVE change starts
 * the variant's model, and that offset is its generation ({@link ModelGenerations}); equality leaves it out too.
 * {@code reset} says check-specs judged the change a reset in place of a variant live on the topic: an operator whose
 * broadcast state lacks that variant (restored from a savepoint taken before it read the broadcast) still tells a
 * reset.
 */
public final class SpecChange {
    public String task;
    public String variant;
    public String spec;
    public byte[] initialModel;
    public Long generation;
    public boolean reset;

    public SpecChange() {}

    public SpecChange(String task, String variant, String spec) {
        this.task = task;
        this.variant = variant;
        this.spec = spec;
    }

    public SpecChange(String task, String variant, String spec, byte[] initialModel) {
        this(task, variant, spec);
        this.initialModel = initialModel;
    }

    public boolean retires() {
        return spec == null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpecChange c && Objects.equals(task, c.task) && Objects.equals(variant, c.variant)
                && Objects.equals(spec, c.spec);
    }

    @Override
    public int hashCode() {
        return Objects.hash(task, variant, spec);
    }

    @Override
    public String toString() {
        return Variants.topicKey(task, variant) + (spec == null ? " retired" : " live");
    }
}
