enum FakePlaceholder {}
