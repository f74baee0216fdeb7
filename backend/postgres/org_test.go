package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// smallOrg is one district with two streets, a squad and a resident
// department, and a few officers.
func smallOrg() org.Dataset {
	moved := day("2026-09-01")
	return org.Dataset{
		Districts:   []org.District{{Code: "dc", NameZH: "东城区"}},
		Streets:     []org.Street{{Code: "st-a", DistrictCode: "dc", NameZH: "甲街道"}, {Code: "st-b", DistrictCode: "dc", NameZH: "乙街道"}},
		Departments: []org.Department{{Code: "cg", NameZH: "城管", Kind: authority.KindSquad}, {Code: "sy", NameZH: "食药", Kind: authority.KindResident}},
		Teams:       []org.Team{{Code: "team-a", StreetCode: "st-a", NameZH: "甲队"}, {Code: "team-b", StreetCode: "st-b", NameZH: "乙队"}},
		Officers: []org.Officer{
			{Code: "a1", NameZH: "张伟", DepartmentCode: "cg", Memberships: []org.Membership{{TeamCode: "team-a", Position: org.PositionLeader, From: day("2024-01-01")}}},
			{Code: "a2", NameZH: "王芳", DepartmentCode: "sy", Memberships: []org.Membership{{TeamCode: "team-a", Position: org.PositionMember, From: day("2024-01-01"), To: &moved}, {TeamCode: "team-b", Position: org.PositionMember, From: moved}}},
			{Code: "x1", NameZH: "李强", DepartmentCode: "cg", Auxiliary: true, AuxiliaryRole: "security_guard", Memberships: []org.Membership{{TeamCode: "team-a", Position: org.PositionMember, From: day("2024-01-01")}}},
		},
		Certificates: []org.Certificate{
			{Number: "C-1", OfficerCode: "a1", IssuingDepartmentCode: "cg", ValidFrom: day("2023-01-01"), ValidTo: day("2028-01-01")},
			{Number: "C-2", OfficerCode: "a2", IssuingDepartmentCode: "sy", ValidFrom: day("2023-01-01"), ValidTo: day("2026-06-30"),
				Status: []authority.CertificateStatus{{Status: "suspended", Since: day("2026-03-01"), Reason: "under investigation"}}},
		},
		Matters: []org.Matter{
			{Code: "CG-001", Version: 1, NameZH: "占道经营", LegalBasis: "《北京市市容环境卫生条例》", DepartmentCode: "cg",
				Measures: []authority.Measure{"warning", "fine_simple", "seizure"}, FineMaxPerson: 200, DefaultWhistle: org.WhistleRegular,
				ValidFrom: day("2021-07-15")},
		},
		Policies: []org.Policy{{DepartmentCode: "cg", ValidFrom: day("2021-07-15"), Policy: authority.Policy{SecondInspectorFromOtherResident: true, SecondInspectorLegalBasis: "区政府授权", MixedCrewSeizureReview: true}}},
		Logins: []org.Login{
			{Username: "officer.a", DisplayName: "王芳", Role: "officer", OfficerCode: "a2"},
			{Username: "reviewer.sy", DisplayName: "食药审核", Role: "dept_reviewer", DepartmentCode: "sy"},
		},
	}
}

func count(t *testing.T, db *postgres.DB, table string) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOrgStore_Import(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		db, _ := pgtest.New(t)
		s := postgres.NewOrgStore(db)
		rep, err := s.Import(ctx, smallOrg(), map[string]string{"officer.a": "hash"})
		if err != nil || !rep.Applied || len(rep.Rejected) != 0 {
			t.Fatalf("Import = %+v, %v", rep, err)
		}
		// Importing again changes nothing: rows are updated by code.
		rep, err = s.Import(ctx, smallOrg(), map[string]string{"officer.a": "hash"})
		if err != nil || !rep.Applied {
			t.Fatalf("second Import = %+v, %v", rep, err)
		}
		for table, want := range map[string]int{"officers": 3, "certificates": 2, "certificate_status": 1, "team_memberships": 4, "matters": 1, "users": 2} {
			if got := count(t, db, table); got != want {
				t.Errorf("%s: %d rows, want %d", table, got, want)
			}
		}
	})
	tests := []struct {
		name      string
		mutate    func(*org.Dataset)
		wantField string
		wantCode  string
	}{
		{"ErrUnknownDepartment", func(d *org.Dataset) { d.Officers[0].DepartmentCode = "nope" }, "department_code", "not_found"},
		{"ErrUnknownOfficer", func(d *org.Dataset) { d.Certificates[1].OfficerCode = "ghost" }, "officer_code", "not_found"},
		{"ErrWindowInverted", func(d *org.Dataset) { d.Certificates[0].ValidTo = day("2022-01-01") }, "valid_to", "validation_failed"},
		{"ErrAuxiliaryCertificate", func(d *org.Dataset) { d.Certificates[0].OfficerCode = "x1" }, "officer_code", "validation_failed"},
		{"ErrDuplicateNumber", func(d *org.Dataset) { d.Certificates[1].Number = "C-1" }, "number", "validation_failed"},
		{"ErrPolicyContradiction", func(d *org.Dataset) { d.Policies[0].SecondInspectorLegalBasis = "" }, "second_inspector_legal_basis", "validation_failed"},
		{"ErrFineTooHigh", func(d *org.Dataset) { d.Matters[0].FineMaxPerson = 500 }, "fine_max_person", "validation_failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := pgtest.New(t)
			s := postgres.NewOrgStore(db)
			ds := smallOrg()
			tt.mutate(&ds)
			rep, err := s.Import(ctx, ds, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Applied || len(rep.Rejected) == 0 {
				t.Fatalf("Import applied a bad dataset: %+v", rep)
			}
			found := false
			for _, r := range rep.Rejected {
				found = found || (r.Field == tt.wantField && r.Code == tt.wantCode)
			}
			if !found {
				t.Fatalf("rejections %+v lack field %s code %s", rep.Rejected, tt.wantField, tt.wantCode)
			}
			// Nothing half-imported.
			for _, table := range []string{"districts", "streets", "officers", "certificates", "matters", "users"} {
				if n := count(t, db, table); n != 0 {
					t.Errorf("%s has %d rows after a rejected import", table, n)
				}
			}
		})
	}
	t.Run("ErrNumberHeldByAnother", func(t *testing.T) {
		db, _ := pgtest.New(t)
		s := postgres.NewOrgStore(db)
		if rep, err := s.Import(ctx, smallOrg(), nil); err != nil || !rep.Applied {
			t.Fatalf("Import = %+v, %v", rep, err)
		}
		rep, err := s.Import(ctx, org.Dataset{Certificates: []org.Certificate{{Number: "C-1", OfficerCode: "a2", IssuingDepartmentCode: "sy",
			ValidFrom: day("2024-01-01"), ValidTo: day("2029-01-01")}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if derrors.CodeOf(rep.Err()) != derrors.Conflict {
			t.Fatalf("report %+v: want a conflict", rep)
		}
		c, err := s.Certificate(ctx, "a1", "C-1")
		if err != nil || !c.ValidTo.Equal(day("2028-01-01")) {
			t.Fatalf("original certificate changed: %+v %v", c, err)
		}
	})
}

func TestOrgStore_Reads(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.New(t)
	s := postgres.NewOrgStore(db)
	if rep, err := s.Import(ctx, smallOrg(), map[string]string{"officer.a": "h", "reviewer.sy": "h"}); err != nil || !rep.Applied {
		t.Fatalf("Import = %+v, %v", rep, err)
	}
	t.Run("RosterAtDate", func(t *testing.T) {
		before, err := s.Roster(ctx, "team-a", day("2026-08-01"), nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		after, err := s.Roster(ctx, "team-a", day("2026-10-01"), nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(before.Members) != 3 || len(after.Members) != 2 {
			t.Fatalf("team-a has %d members before the move and %d after, want 3 and 2", len(before.Members), len(after.Members))
		}
		b, _ := s.Roster(ctx, "team-b", day("2026-10-01"), nil, 100)
		if len(b.Members) != 1 || b.Members[0].Officer.Code != "a2" || len(b.Members[0].Certificates) != 1 || len(b.Members[0].Certificates[0].Status) != 1 {
			t.Fatalf("team-b roster = %+v", b)
		}
		if _, err := s.Roster(ctx, "nope", day("2026-10-01"), nil, 100); derrors.CodeOf(err) != derrors.NotFound {
			t.Fatalf("unknown team: %v", err)
		}
	})
	t.Run("ScopeFollowsTheMove", func(t *testing.T) {
		var uid string
		if err := db.SQL.QueryRow(`SELECT id FROM users WHERE username = 'officer.a'`).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		sc, err := s.Scope(ctx, uid, day("2026-08-01"))
		if err != nil || sc.StreetCode != "st-a" || sc.OfficerCode != "a2" {
			t.Fatalf("scope before the move = %+v, %v", sc, err)
		}
		sc, _ = s.Scope(ctx, uid, day("2026-10-01"))
		if sc.StreetCode != "st-b" {
			t.Fatalf("scope after the move = %+v, want street st-b", sc)
		}
	})
	t.Run("MatterVersions", func(t *testing.T) {
		v2 := org.Matter{Code: "CG-001", NameZH: "占道经营", LegalBasis: "《北京市市容环境卫生条例》(2025修订)", DepartmentCode: "cg",
			Measures: []authority.Measure{"warning", "fine_simple"}, FineMaxPerson: 100, DefaultWhistle: org.WhistleRegular, ValidFrom: day("2025-01-01")}
		got, err := s.AddMatterVersion(ctx, v2)
		if err != nil || got.Version != 2 {
			t.Fatalf("AddMatterVersion = %+v, %v", got, err)
		}
		old, _ := s.MatterAt(ctx, "CG-001", day("2024-06-01"))
		cur, _ := s.MatterAt(ctx, "CG-001", day("2026-06-01"))
		if old.Version != 1 || cur.Version != 2 || old.ValidTo == nil || !old.ValidTo.Equal(day("2025-01-01")) {
			t.Fatalf("versions: old %+v, current %+v", old, cur)
		}
		if _, err := s.AddMatterVersion(ctx, v2); derrors.CodeOf(err) != derrors.Invalid {
			t.Fatalf("a version starting no later than the current one: %v, want validation_failed", err)
		}
	})
	t.Run("CertificateStatus", func(t *testing.T) {
		c, err := s.SetCertificateStatus(ctx, "C-1", "revoked", day("2026-11-01"), "left the service")
		if err != nil || len(c.Status) != 1 || c.AuthorityCertificate().StatusAt(day("2026-11-02")) != "revoked" || c.AuthorityCertificate().StatusAt(day("2026-10-31")) != "active" {
			t.Fatalf("SetCertificateStatus = %+v, %v", c, err)
		}
		if _, err := s.SetCertificateStatus(ctx, "C-404", "revoked", day("2026-11-01"), "x"); derrors.CodeOf(err) != derrors.NotFound {
			t.Fatalf("unknown certificate: %v", err)
		}
	})
	t.Run("PoliciesAt", func(t *testing.T) {
		ps, err := s.PoliciesAt(ctx, day("2026-01-01"))
		if err != nil || !ps["cg"].SecondInspectorFromOtherResident {
			t.Fatalf("PoliciesAt = %+v, %v", ps, err)
		}
		ps, _ = s.PoliciesAt(ctx, day("2020-01-01"))
		if len(ps) != 0 {
			t.Fatalf("a policy before it took effect: %+v", ps)
		}
	})
}
