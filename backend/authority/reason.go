package authority

// Reason explains one part of a Decision, in Chinese for the officers and in English for the rest.
type Reason struct {
	// Code is one of the Reason* constants; stable, part of the API contract.
	Code string `json:"code"`
	// Subject is the person id of the crew entry the reason concerns (its certificate is on the
	// entry), or "" for a reason about the decision as a whole.
	Subject string `json:"subject"`
	ZH      string `json:"zh"`
	EN      string `json:"en"`
}

// Reason codes about one crew entry, each with the entry's person id as Subject.
const (
	// ReasonCheckedInAfterAct: the entry checked in after the act, so was not present for it.
	ReasonCheckedInAfterAct = "CHECKED_IN_AFTER_ACT"
	// ReasonAuxiliaryNotCounted: auxiliary forces never hold enforcement authority.
	ReasonAuxiliaryNotCounted = "AUXILIARY_NOT_COUNTED"
	// ReasonNoCertificate: no enforcement certificate (or one without a number) on record.
	ReasonNoCertificate = "NO_CERTIFICATE"
	// ReasonCertNotYetValid: the certificate's validity began after the act.
	ReasonCertNotYetValid = "CERT_NOT_YET_VALID"
	// ReasonCertExpiredAtAct: the certificate's validity had ended at the act.
	ReasonCertExpiredAtAct = "CERT_EXPIRED_AT_ACT"
	// ReasonCertSuspendedAtAct: the certificate was suspended at the act.
	ReasonCertSuspendedAtAct = "CERT_SUSPENDED_AT_ACT"
	// ReasonCertRevokedAtAct: the certificate had been revoked at the act.
	ReasonCertRevokedAtAct = "CERT_REVOKED_AT_ACT"
	// ReasonCertStatusUnknown: the certificate's status at the act is not one this package knows;
	// it is treated as not valid.
	ReasonCertStatusUnknown = "CERT_STATUS_UNKNOWN"
	// ReasonDuplicateCertificate: another counted entry shows the same certificate number.
	ReasonDuplicateCertificate = "DUPLICATE_CERTIFICATE"
	// ReasonDuplicatePerson: another counted entry has the same person id.
	ReasonDuplicatePerson = "DUPLICATE_PERSON"
	// ReasonOtherDepartment (information): a qualified officer of another department, not a holder
	// of authority for this matter; may still be the second inspector.
	ReasonOtherDepartment = "OTHER_DEPARTMENT"
)

// Reason codes about the decision as a whole. Subject is "" except where noted.
const (
	// ReasonTierEnforcement: two or more holders present, enforcement procedure.
	ReasonTierEnforcement = "TIER_ENFORCEMENT"
	// ReasonTierOnsiteInspection: exactly one holder present, on-site inspection procedure.
	ReasonTierOnsiteInspection = "TIER_ONSITE_INSPECTION"
	// ReasonNoHolderPresent: no holder present for a matter of the squad or a resident department,
	// on-site investigation procedure.
	ReasonNoHolderPresent = "NO_HOLDER_PRESENT"
	// ReasonMatterOfListedDepartment: no holder present for a matter of a listed department; record
	// evidence and refer.
	ReasonMatterOfListedDepartment = "MATTER_OF_LISTED_DEPARTMENT"
	// ReasonCompetentKindUnknown: no holder present and the matter's department kind is unknown;
	// treated like a listed department's matter.
	ReasonCompetentKindUnknown = "COMPETENT_KIND_UNKNOWN"
	// ReasonPolicyInvalid: the competent department's policy fails Policy.Validate, so its
	// second-inspector permission is not applied.
	ReasonPolicyInvalid = "POLICY_INVALID"
	// ReasonSecondInspectorNotAllowedByPolicy: an officer who could be second inspector is present
	// (Subject), but the competent department's policy does not allow it.
	ReasonSecondInspectorNotAllowedByPolicy = "SECOND_INSPECTOR_NOT_ALLOWED_BY_POLICY"
	// ReasonNoSecondInspector: no qualified officer of another resident department or the squad is
	// present to be second inspector.
	ReasonNoSecondInspector = "NO_SECOND_INSPECTOR"
	// ReasonSeizureNeedsSecondInspector: the matter allows seizure, but seizure needs two officers.
	ReasonSeizureNeedsSecondInspector = "SEIZURE_NEEDS_SECOND_INSPECTOR"
	// ReasonMixedCrewSeizureReview: seizure is allowed with a second inspector (Subject) of another
	// department, and the policy sends such seizures to legal review.
	ReasonMixedCrewSeizureReview = "MIXED_CREW_SEIZURE_REVIEW"
	// ReasonSingleOfficerSimpleProcedure: by policy one holder may decide a simple-procedure
	// warning or fine.
	ReasonSingleOfficerSimpleProcedure = "SINGLE_OFFICER_SIMPLE_PROCEDURE"
	// ReasonPenaltyNeedsTwoHolders: the matter's warning or fine needs two holders (处罚法 art. 42).
	ReasonPenaltyNeedsTwoHolders = "PENALTY_NEEDS_TWO_HOLDERS"
)

// reasonText is the one table of reason texts, Chinese then English. A phone running the rules
// offline shows the same words.
var reasonText = map[string][2]string{
	ReasonCheckedInAfterAct: {
		"签到时间晚于执法行为发生时间，不计为在场人员",
		"Checked in after the time of the act; not counted as present",
	},
	ReasonAuxiliaryNotCounted: {
		"辅助力量不具有执法权，不计为持证执法人员",
		"Auxiliary staff hold no enforcement authority and are not counted",
	},
	ReasonNoCertificate: {
		"无执法证记录，不计为持证执法人员",
		"No enforcement certificate on record; not counted",
	},
	ReasonCertNotYetValid: {
		"执法证在执法行为发生时尚未生效",
		"Enforcement certificate was not yet valid at the time of the act",
	},
	ReasonCertExpiredAtAct: {
		"执法证在执法行为发生时已过期",
		"Enforcement certificate had expired at the time of the act",
	},
	ReasonCertSuspendedAtAct: {
		"执法证在执法行为发生时处于暂停状态",
		"Enforcement certificate was suspended at the time of the act",
	},
	ReasonCertRevokedAtAct: {
		"执法证在执法行为发生时已被吊销",
		"Enforcement certificate had been revoked at the time of the act",
	},
	ReasonCertStatusUnknown: {
		"执法证在执法行为发生时的状态无法识别，按无效处理",
		"Enforcement certificate status at the time of the act is not recognised; treated as not valid",
	},
	ReasonDuplicateCertificate: {
		"同一执法证号重复出现，只计一次",
		"The same certificate number appears more than once; counted once",
	},
	ReasonDuplicatePerson: {
		"同一人员重复签到，只计一次",
		"The same person is checked in more than once; counted once",
	},
	ReasonOtherDepartment: {
		"持证人员不属于本事项主管部门，不计为本事项的执法人员",
		"Qualified officer of another department; not a holder of authority for this matter",
	},
	ReasonTierEnforcement: {
		"两名以上持有本事项执法权的人员在场，适用执法程序",
		"Two or more holders of authority for the matter present: enforcement procedure",
	},
	ReasonTierOnsiteInspection: {
		"仅一名持有本事项执法权的人员在场，适用现场检查程序",
		"Exactly one holder of authority for the matter present: on-site inspection procedure",
	},
	ReasonNoHolderPresent: {
		"无持有本事项执法权的人员在场，适用现场调查程序，仅可拍照取证、约谈当事人",
		"No holder of authority for the matter present: on-site investigation procedure, photo evidence and summons only",
	},
	ReasonMatterOfListedDepartment: {
		"本事项属于挂牌单位，无其执法人员在场：拍照取证后移送或吹哨",
		"Matter of a listed department with none of its officers present: record evidence, then refer or whistle",
	},
	ReasonCompetentKindUnknown: {
		"本事项主管部门类别不明，无执法人员在场：拍照取证后移送",
		"Department kind of the matter is unknown and no holder is present: record evidence, then refer",
	},
	ReasonPolicyInvalid: {
		"主管部门的程序规则自相矛盾（如未记录法律依据），不适用其他部门人员担任第二检查人",
		"The competent department's policy is contradictory (e.g. no legal basis recorded); no second inspector from another department",
	},
	ReasonSecondInspectorNotAllowedByPolicy: {
		"主管部门的程序规则不允许其他部门人员担任第二检查人",
		"The competent department's policy does not allow an officer of another department as second inspector",
	},
	ReasonNoSecondInspector: {
		"现场无其他常驻单位或城管执法队的持证人员可担任第二检查人",
		"No qualified officer of another resident department or the squad present to act as second inspector",
	},
	ReasonSeizureNeedsSecondInspector: {
		"暂扣物品须由两名以上执法人员实施，现场无第二检查人",
		"Seizure needs two officers and there is no second inspector",
	},
	ReasonMixedCrewSeizureReview: {
		"由其他部门人员担任第二检查人实施暂扣，须提交法制审核",
		"Seizure with a second inspector from another department: flagged for legal review",
	},
	ReasonSingleOfficerSimpleProcedure: {
		"依主管部门的程序规则，一名执法人员可适用简易程序当场作出警告或罚款",
		"By the competent department's policy one officer may decide a simple-procedure warning or fine",
	},
	ReasonPenaltyNeedsTwoHolders: {
		"行政处罚须由两名以上具有执法资格的人员实施，不得当场警告或罚款",
		"An administrative penalty needs two qualified officers: no warning or fine on the spot",
	},
}

// newReason returns the reason with code's texts. A code missing from reasonText is a bug that
// the tests catch; it still yields a reason, with the code as its text, rather than a panic in the
// street.
func newReason(code, subject string) Reason {
	text, ok := reasonText[code]
	if !ok {
		text = [2]string{code, code}
	}
	return Reason{Code: code, Subject: subject, ZH: text[0], EN: text[1]}
}
