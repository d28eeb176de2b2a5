from fusioncheck.cli import main

raise SystemExit(main())
