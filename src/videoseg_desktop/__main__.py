from videoseg_desktop.app import main

raise SystemExit(main())
