package dev.chorus.jobs.select;

import dev.chorus.core.select.ChampionRace;
import dev.chorus.core.select.PairedComparison;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Writes a task's {@link ChampionRace} in model-core's own versioned layout (no Kryo, no reflection). The race's
 * settings are not part of its state: a read race has the defaults until {@link ChampionSelectionFunction} applies
 * the job's ({@link ChampionRace#configure}).
 */
public final class ChampionRaceSerializer extends TypeSerializer<ChampionRace> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<ChampionRace> duplicate() {
        return this; // stateless
    }

    @Override
    public ChampionRace createInstance() {
        return null;
    }

    @Override
    public ChampionRace copy(ChampionRace from) {
        return from == null ? null : from.copy();
    }

    @Override
    public ChampionRace copy(ChampionRace from, ChampionRace reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(ChampionRace race, DataOutputView out) throws IOException {
        race.writeTo(out);
    }

    @Override
    public ChampionRace deserialize(DataInputView in) throws IOException {
        return ChampionRace.readFrom(in, PairedComparison.Settings.defaults(), SelectionSettings.DEFAULT_MAX_PENDING);
    }

    @Override
    public ChampionRace deserialize(ChampionRace reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof ChampionRaceSerializer;
    }

    @Override
    public int hashCode() {
        return ChampionRaceSerializer.class.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<ChampionRace> snapshotConfiguration() {
        return new Snapshot();
    }

    /** No configuration to write: the layout version is inside the state. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<ChampionRace> {
        public Snapshot() {
            super(ChampionRaceSerializer::new);
        }
    }
}
