package dev.chorus.core.select;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** Builds the detector a {@link DriftSpec} names, and reads back any detector's saved state. */
public final class DriftDetectors {

  private static final byte NEVER_KIND = 0;

  private DriftDetectors() {}

  /** A fresh detector as {@code spec} describes it; detector {@code "none"} never fires. */
  public static DriftDetector create(DriftSpec spec) {
    return switch (spec.detector()) {
      case DriftSpec.PAGE_HINKLEY -> new PageHinkley(spec.delta(), spec.lambda(), spec.minInstances(), spec.alpha());
      case DriftSpec.ADWIN -> new Adwin(spec.delta(), spec.maxBuckets());
      default -> new Never();
    };
  }

  /** Reads a detector written by {@link DriftDetector#writeTo}, of any kind. */
  public static DriftDetector readFrom(DataInput in) throws IOException {
    byte kind = in.readByte();
    return switch (kind) {
      case NEVER_KIND -> Never.readState(in);
      case PageHinkley.KIND -> PageHinkley.readState(in);
      case Adwin.KIND -> Adwin.readState(in);
      default -> throw new IOException("DriftDetector state: expected kind " + NEVER_KIND + " (none), "
          + PageHinkley.KIND + " (page-hinkley) or " + Adwin.KIND + " (adwin), stream has " + kind);
    };
  }

  /** Detector {@code "none"}: counts the losses, detects nothing. */
  static final class Never implements DriftDetector {
    private long examples;

    @Override
    public boolean add(double loss) {
      DriftDetector.requireFinite(loss);
      examples++;
      return false;
    }

    @Override
    public void reset() {
      examples = 0;
    }

    @Override
    public long examples() {
      return examples;
    }

    @Override
    public void writeTo(DataOutput out) throws IOException {
      out.writeByte(NEVER_KIND);
      out.writeLong(examples);
    }

    static Never readState(DataInput in) throws IOException {
      Never never = new Never();
      never.examples = in.readLong();
      return never;
    }
  }
}
