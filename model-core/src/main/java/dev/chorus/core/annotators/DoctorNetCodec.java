package dev.chorus.core.annotators;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.random.SplitMix64;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The binary form of a {@link DoctorNet} inside its label model's state: the spec as JSON, the number of head slots,
 * the random generator's state, step and example counts, the standardiser's statistics, the body's parameters and
 * optimizer state, then the head count and each head's parameters and optimizer state, and, only when the spec has
 * {@code averaging} or the net keeps a teacher, the averaged body's and heads' parameters ({@link DoctorNetAverage}): a
 * net with neither writes exactly the bytes it did before averaging existed.
 */
final class DoctorNetCodec {

  private DoctorNetCodec() {
  }

  static void write(DoctorNet net, DataOutput out) throws IOException {
    BinaryState.writeString(out, net.spec.toJson());
    out.writeInt(net.heads.length);
    out.writeLong(net.rng.state());
    out.writeLong(net.steps);
    out.writeLong(net.examplesSeen);
    if (net.standardizer != null) {
      net.standardizer.writeTo(out);
    }
    if (net.body != null) {
      net.body.parameters().writeValues(out);
      net.bodyOptimizer.writeState(out);
    }
    out.writeInt(net.headCount);
    for (int h = 0; h < net.headCount; h++) {
      net.headParameters[h].writeValues(out);
      net.headOptimizers[h].writeState(out);
    }
    if (net.average != null) {
      net.average.writeValues(out, net.headCount);
    }
  }

  /** Reads what {@link #write} wrote for a label model of {@code maxAnnotators}, one head slot each, and no teacher. */
  static DoctorNet read(DataInput in, int maxAnnotators) throws IOException {
    return read(in, maxAnnotators, null, false);
  }

  /**
   * As {@link #read(DataInput, int)} for a net that keeps {@code teacher} ({@link DoctorNet#DoctorNet(ModelSpec, int,
   * AveragingSpec)}); {@code teacherSaved} says whether the stream holds its values, which a spec's {@code averaging}
   * always does. A teacher the stream does not hold starts at the weights read.
   */
  static DoctorNet read(DataInput in, int maxAnnotators, AveragingSpec teacher, boolean teacherSaved)
      throws IOException {
    ModelSpec spec;
    int maxHeads;
    DoctorNet net;
    try {
      spec = ModelSpec.parse(BinaryState.readString(in, "doctor net spec"));
      maxHeads = in.readInt();
      if (maxHeads != maxAnnotators) {
        throw new IOException("doctor net maxHeads: expected the registry's maxAnnotators " + maxAnnotators
            + ", got " + maxHeads);
      }
      // The body's weights (or, without a body, the standardiser's statistics or else a first head) follow in
      // the stream: a shape the bytes cannot hold is refused before it is built.
      if (!spec.layers().isEmpty()) {
        BinaryState.requireFits(in, spec.hiddenWeightCount(), Float.BYTES,
            "doctor net spec " + spec.shape() + " weights");
      } else if (spec.standardize()) {
        BinaryState.requireFits(in, 2L * spec.inputDim(), Double.BYTES,
            "doctor net spec " + spec.shape() + " standardiser statistics");
      } else {
        BinaryState.requireFits(in, (long) spec.inputDim() * spec.numClasses(), Float.BYTES,
            "doctor net spec " + spec.shape() + " weights of a head");
      }
      net = new DoctorNet(spec, maxHeads, teacher);
    } catch (IllegalArgumentException e) {
      throw new IOException("doctor net: " + e.getMessage(), e);
    }
    long rngState = in.readLong();
    net.steps = in.readLong();
    net.examplesSeen = in.readLong();
    if (net.steps < 0 || net.examplesSeen < 0) {
      throw new IOException("doctor net: expected non-negative step and example counts, stream has " + net.steps
          + " and " + net.examplesSeen);
    }
    if (net.standardizer != null) {
      net.standardizer.readFrom(in);
    }
    if (net.body != null) {
      net.body.parameters().readValues(in);
      net.bodyOptimizer.readState(in, net.body.parameters());
    }
    int count = in.readInt();
    if (count < 0 || count > maxHeads) {
      throw new IOException("doctor net: expected 0.." + maxHeads + " heads, stream has " + count);
    }
    for (int h = 0; h < count; h++) {
      BinaryState.requireFits(in, (long) net.width * net.k, Float.BYTES, "doctor net head " + h + " weights");
      net.ensureHead(h);
      net.headParameters[h].readValues(in);
      net.headOptimizers[h].readState(in, net.headParameters[h]);
    }
    if (spec.averaging() != null || (net.average != null && teacherSaved)) {
      net.average.readValues(in, count);
    } else {
      net.restartAverage();
    }
    // Set last: creating the first head drew from the generator.
    net.rng = SplitMix64.fromState(rngState);
    return net;
  }
}
