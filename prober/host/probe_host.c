/* The probe host: being written (docs/prober.md). */
